import Foundation
import Protocols
import Security
import Tensor

/// The delta-container decoder as a fuzz target (issue #7): every input must decode or fail with a
/// ``DeltaContainerError``; any other outcome is a crash.
///
/// Built as usual, `tessera-fuzz-container` replays files through the decoder (a corpus, or a
/// crash libFuzzer saved) and `--write-seeds DIR` writes valid fp32 and bf16 containers to start
/// a corpus from. Built with `-sanitize=fuzzer -D LIBFUZZER` (`scripts/fuzz-container.sh`), its
/// `main` hands ``fuzzOneInput(_:_:)`` to libFuzzer's driver.
enum ContainerFuzzer {
    /// The tensors the decoder is told to expect (those of the seeds).
    static let specs = [TensorSpec(name: "base_model.model.m.q_proj.lora_A.weight", shape: [2, 8], dtype: .F32),
                        TensorSpec(name: "base_model.model.m.q_proj.lora_B.weight", shape: [8, 2], dtype: .F32),
                        TensorSpec(name: "tessera.objective.logra.w", shape: [3], dtype: .F32)]

    /// Decodes `bytes` as each encoding's expected container; traps on anything but success or a
    /// ``DeltaContainerError``.
    static func exercise(_ bytes: UnsafeRawBufferPointer) {
        for encoding in WireEncoding.allCases {
            let expectation = DeltaContainer.Expectation(
                maximumDecompressedBytes: 1 << 16, tensors: specs.map { TensorSpec(name: $0.name, shape: $0.shape, dtype: encoding.dtype) })
            do {
                _ = try DeltaContainer.decode(bytes, source: "fuzz input", expecting: expectation)
            } catch is DeltaContainerError {
                continue
            } catch {
                fatalError("the decoder threw \(type(of: error)), not DeltaContainerError: \(error)")
            }
        }
    }

    /// A valid container of ``specs`` in `encoding`.
    static func seed(encoding: WireEncoding) throws -> [UInt8] {
        let tensors = specs.enumerated().map { index, spec in
            NamedTensor(name: spec.name, shape: spec.shape, values: (0..<spec.elementCount).map { Float($0 - 5) * 0.01 * Float(index + 1) })
        }
        let header = DeltaContainer.Header(round: 2, site: "site-a", baseDigest: try SHA256.hash(Array("base".utf8)), sampleCount: 9,
                                           encoding: encoding, metrics: ["loss": 0.5])
        return try DeltaContainer(header: header, tensors: tensors).encoded().bytes
    }
}

/// libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ContainerFuzzer.exercise(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

#if LIBFUZZER
/// libFuzzer's driver, from the instrumented build's runtime.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
enum FuzzingDriver {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, fuzzOneInput))
    }
}
#else
@main
enum ReplayDriver {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.count == 2, arguments[0] == "--write-seeds" {
            let directory = URL(fileURLWithPath: arguments[1])
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for encoding in WireEncoding.allCases {
                try Data(try ContainerFuzzer.seed(encoding: encoding)).write(to: directory.appendingPathComponent("seed-\(encoding.rawValue).tcz"))
            }
            print("wrote \(WireEncoding.allCases.count) seed containers to \(directory.path)")
            return
        }
        guard !arguments.isEmpty, !arguments.contains(where: { $0.hasPrefix("-") }) else {
            print("""
                usage: tessera-fuzz-container FILE|DIR…       replay inputs through the container decoder
                       tessera-fuzz-container --write-seeds DIR  write valid containers to start a corpus
                (scripts/fuzz-container.sh builds this target with libFuzzer and fuzzes)
                """)
            exit(arguments.isEmpty ? 2 : 0)
        }
        var files: [URL] = []
        for argument in arguments {
            let url = URL(fileURLWithPath: argument)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                print("tessera-fuzz-container: no such file or directory: \(url.path)")
                exit(1)
            }
            files += isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil).sorted { $0.path < $1.path }
                : [url]
        }
        for file in files {
            let bytes = try Data(contentsOf: file)
            bytes.withUnsafeBytes { ContainerFuzzer.exercise($0) }
        }
        print("replayed \(files.count) inputs: each decoded or was refused with a DeltaContainerError")
    }
}
#endif
