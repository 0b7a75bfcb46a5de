import Foundation
@testable import Protocols
import Security
import Tensor
import Testing
import TestSupport

/// Seeded fuzzing of the decoder: random, truncated and bit-flipped containers, and mutations of
/// the inner layers re-wrapped in a valid zstd frame so they get past the checksum. Every input
/// must decode or fail with a ``DeltaContainerError``; anything else (another error, a trap)
/// fails the test.
struct DeltaContainerFuzzTests {
    static let specs = [TensorSpec(name: "base_model.model.m.q_proj.lora_A.weight", shape: [2, 8], dtype: .F32),
                        TensorSpec(name: "base_model.model.m.q_proj.lora_B.weight", shape: [8, 2], dtype: .F32),
                        TensorSpec(name: "tessera.objective.logra.w", shape: [3], dtype: .F32)]

    static func seedContainer(encoding: WireEncoding) -> DeltaContainer {
        let tensors = specs.enumerated().map { index, spec in
            NamedTensor(name: spec.name, shape: spec.shape, values: (0..<spec.elementCount).map { Float($0 - 5) * 0.01 * Float(index + 1) })
        }
        let header = DeltaContainer.Header(round: 2, site: "site-a", baseDigest: ContainerFixtures.baseDigest, sampleCount: 9,
                                           encoding: encoding, metrics: ["loss": 0.5])
        return DeltaContainer(header: header, tensors: tensors)
    }

    @Test func decoderSurvivesTenThousandHostileInputs() throws {
        var generator = SeededGenerator(seed: 20_250_301)
        func below(_ bound: Int) -> Int { Int(generator.next() % UInt64(max(bound, 1))) }
        var outcomes: [String: Int] = [:]
        var inputs = 0

        func attempt(_ bytes: [UInt8], _ encoding: WireEncoding) {
            inputs += 1
            var expectation = DeltaContainer.Expectation(maximumDecompressedBytes: 4096, tensors: Self.specs.map {
                TensorSpec(name: $0.name, shape: $0.shape, dtype: encoding.dtype)
            })
            expectation.round = 2
            do {
                _ = try DeltaContainer.decode(bytes, source: "fuzz", expecting: expectation)
                outcomes["decoded", default: 0] += 1
            } catch let error as DeltaContainerError {
                // The case name: an enum case with a payload mirrors as one child labelled with it.
                outcomes[Mirror(reflecting: error).children.first?.label ?? "\(error)", default: 0] += 1
            } catch {
                Issue.record("input \(inputs) (\(bytes.count) bytes) threw \(type(of: error)): \(error)")
            }
        }

        for encoding in WireEncoding.allCases {
            let container = try Self.seedContainer(encoding: encoding).encoded().bytes
            let canonical = try Self.seedContainer(encoding: encoding).canonicalBytes()
            let width = encoding.dtype.byteCount
            // Random bytes; half start with the zstd magic to reach the frame parser.
            for index in 0..<1_000 {
                var bytes = (0..<below(400)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                if index % 2 == 0 { bytes = [0x28, 0xB5, 0x2F, 0xFD] + bytes }
                attempt(bytes, encoding)
            }
            // Truncations of a valid container.
            for _ in 0..<1_000 { attempt(Array(container.prefix(below(container.count))), encoding) }
            // 1–8 bit flips in a valid container.
            for _ in 0..<1_500 {
                var bytes = container
                for _ in 0...below(8) { bytes[below(bytes.count)] ^= 1 << UInt8(below(8)) }
                attempt(bytes, encoding)
            }
            // The inner layers behind a valid frame: flips (mostly in the header), truncations,
            // insertions, deletions.
            let headerEnd = DeltaContainer.headerEnd(canonical)
            for index in 0..<1_500 {
                var bytes = canonical
                switch index % 4 {
                case 0, 1:
                    for _ in 0...below(4) {
                        let position = below(10) < 8 ? below(headerEnd) : below(bytes.count)
                        bytes[position] ^= 1 << UInt8(below(8))
                    }
                case 2:
                    bytes = Array(bytes.prefix(below(bytes.count)))
                default:
                    let position = below(bytes.count)
                    if below(2) == 0 {
                        bytes.insert(contentsOf: (0...below(8)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, at: position)
                    } else {
                        bytes.removeSubrange(position..<min(bytes.count, position + 1 + below(8)))
                    }
                }
                attempt(try ContainerFixtures.container(around: bytes, width: width), encoding)
            }
        }
        print("fuzz: \(inputs) inputs:", outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        #expect(inputs >= 10_000)
        // The inputs reached every layer: zstd, safetensors structure, canonical form, metadata, tensors.
        for kind in ["notZstd", "tooLarge", "decompressionFailed", "malformed", "notCanonical", "invalidMetadata", "missingTensor"] {
            #expect(outcomes[kind, default: 0] > 0, "no input failed with \(kind)")
        }
    }

    /// An 89-byte upload once crashed the aggregator: a tensor whose elements × 4 bytes overflow
    /// trapped in the header check (the fuzzer's short inputs never reached such an extent).
    @Test func overflowingExtentIsMalformedNotATrap() throws {
        var header = Array(#"{"x":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,0]}}"#.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        let stream = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64($0))) } + header
        let upload = try Zstd.compress(stream)
        #expect(throws: DeltaContainerError.malformed(.sizeMismatch(file: "upload", tensor: "x", shape: [2_305_843_009_213_693_952],
                                                                    dtype: "F32", bytes: 0))) {
            try DeltaContainer.decode(upload, source: "upload", expecting: DeltaContainer.Expectation(maximumDecompressedBytes: 4096, tensors: Self.specs))
        }
    }
}

/// The libFuzzer target's replay build (scripts/fuzz-container.sh fuzzes with the instrumented one).
struct ContainerFuzzTargetTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProcess(builtProductsDirectory.appendingPathComponent("tessera-fuzz-container").path, arguments)
    }

    @Test("tessera-fuzz-container writes seed containers and replays them, and a truncated one, through the decoder")
    func replaysSeeds() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }  // best effort: a temporary directory
        let seeds = try Self.run(["--write-seeds", directory.path])
        #expect(seeds.status == 0 && seeds.output.contains("wrote 2 seed containers"), "\(seeds.output)")
        let seed = try Data(contentsOf: directory.appendingPathComponent("seed-fp32.tcz"))
        try seed.prefix(seed.count / 2).write(to: directory.appendingPathComponent("truncated.tcz"))
        let replay = try Self.run([directory.path])
        #expect(replay.status == 0 && replay.output.contains("replayed 3 inputs"), "\(replay.output)")
        let missing = try Self.run([directory.appendingPathComponent("absent").path])
        #expect(missing.status == 1 && missing.output.contains("no such file or directory"), "\(missing.output)")
    }
}
