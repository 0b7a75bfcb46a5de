import Foundation
import Protocols
import Security
import Tensor

/// The delta-container decoder as a fuzz target (issue #7): every input must decode or fail with a
/// ``DeltaContainerError``; any other outcome is a finding (a crash under libFuzzer, exit status 1
/// when replaying).
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

    /// Decodes `bytes` as each encoding's expected container.
    /// - Returns: nil when every decode succeeded or threw a ``DeltaContainerError``; otherwise
    ///   what else came out (the finding).
    static func exercise(_ bytes: UnsafeRawBufferPointer) -> String? {
        for encoding in WireEncoding.allCases {
            let expectation = DeltaContainer.Expectation(
                maximumDecompressedBytes: 1 << 16, tensors: specs.map { TensorSpec(name: $0.name, shape: $0.shape, dtype: encoding.dtype) })
            do {
                _ = try DeltaContainer.decode(bytes, source: "fuzz input", expecting: expectation)
            } catch is DeltaContainerError {
                continue
            } catch {
                return "the \(encoding.rawValue) decode threw \(type(of: error)), not DeltaContainerError: \(error)"
            }
        }
        return nil
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

/// libFuzzer's entry point. A finding must end the process abnormally: that is how libFuzzer
/// learns of it and saves the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if let finding = ContainerFuzzer.exercise(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)) {
        FileHandle.standardError.write(Data("tessera-fuzz-container: \(finding)\n".utf8))
        abort()
    }
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
        var findings = 0
        for file in files {
            if let finding = try Data(contentsOf: file).withUnsafeBytes(ContainerFuzzer.exercise) {
                print("\(file.path): \(finding)")
                findings += 1
            }
        }
        guard findings == 0 else {
            print("replayed \(files.count) inputs: \(findings) not refused with a DeltaContainerError")
            exit(1)
        }
        print("replayed \(files.count) inputs: each decoded or was refused with a DeltaContainerError")
    }
}
#endif
