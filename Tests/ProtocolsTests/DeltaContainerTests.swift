import Foundation
@testable import Protocols
import Security
import Tensor
import Testing

struct DeltaContainerTests {
    @Test func roundTripsFP32Exactly() throws {
        let update = try ContainerFixtures.update(encoding: .fp32)
        let encoded = try update.encoded()
        let plan = try PlanFixtures.plan(encoding: .fp32)
        var expectation = try ContainerFixtures.expectation(for: update, plan: plan)
        expectation.digest = encoded.digest
        let decoded = try DeltaContainer.decode(encoded.bytes, source: "update.tsr", expecting: expectation)
        #expect(decoded.digest == encoded.digest)
        #expect(decoded.container.header == update.header)
        let sorted = update.tensors.sorted { $0.name < $1.name }
        #expect(decoded.container.tensors == sorted)
    }

    /// bf16 keeps the nearest bfloat16 of each value, ties to even: 1 + 2⁻⁸ → 1, 1 + 3·2⁻⁸ → 1 + 2⁻⁶.
    @Test func bf16RoundsToNearestEven() throws {
        var update = try ContainerFixtures.update(encoding: .bf16)
        let values: [Float] = [1 + 0x1p-8, 1 + 3 * 0x1p-8, -2.5, 0x1p-130, -0.0]
        update.tensors[0].values.replaceSubrange(0..<values.count, with: values)
        let decoded = try DeltaContainer.decode(try update.encoded().bytes, source: "bf16",
                                                expecting: ContainerFixtures.expectation(for: update, plan: PlanFixtures.plan(encoding: .bf16)))
        let tensor = try #require(decoded.container.tensors.first { $0.name == update.tensors[0].name })
        #expect(Array(tensor.values.prefix(5)).map(\.bitPattern) == [1, 1 + 0x1p-6, -2.5, 0x1p-130, -0.0].map { (value: Float) in value.bitPattern })
        for (original, rounded) in zip(update.tensors[0].values, tensor.values) {
            #expect(rounded.bitPattern == UInt32(Safetensors.bfloat16Bits(original)) << 16)
        }
    }

    /// The same tensors, in any order, give the same bytes and digest; other values do not.
    @Test func encodingIsDeterministic() throws {
        let update = try ContainerFixtures.update()
        var reordered = update
        reordered.tensors.reverse()
        #expect(try update.encoded() == reordered.encoded())
        #expect(try update.encoded().digest != ContainerFixtures.update(seed: 2).encoded().digest)
    }

    /// The layout is the documented one, checked with tools nobody here wrote: the `zstd` command
    /// decompresses the container, Python's standard library undoes the shuffle from the
    /// documentation alone and hashes the result, which must be our canonical bytes and digest.
    @Test func independentToolsReadTheContainer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-container-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for encoding in WireEncoding.allCases {
            let update = try ContainerFixtures.update(encoding: encoding)
            let encoded = try update.encoded()
            let container = directory.appendingPathComponent("\(encoding).tsr.zst")
            try Data(encoded.bytes).write(to: container)
            let output = try run("/usr/bin/python3", ["-c", Self.pythonReader, container.path])
            let canonical = try update.canonicalBytes()
            #expect(output == "\(encoded.digest.hex) \(canonical.count) \(encoding.dtype.rawValue) site-a")
            // zstd's own encoder at level 3 over the stream Python rebuilt gives our exact bytes.
            let recompressed = try Data(contentsOf: directory.appendingPathComponent("\(encoding).tsr.zst.again"))
            #expect([UInt8](recompressed) == encoded.bytes, "zstd -3 of the stream differs from the container")
        }
    }

    /// Reads a container with `zstd -d`, unshuffles per DeltaContainer's documentation, prints
    /// the SHA-256, size, dtype and site; writes `zstd -3 --check` of the re-shuffled stream.
    static let pythonReader = #"""
import hashlib, json, struct, subprocess, sys
path = sys.argv[1]
stream = subprocess.run(["zstd", "-d", "-c", path], check=True, capture_output=True).stdout
n = struct.unpack("<Q", stream[:8])[0]
header = json.loads(stream[8:8 + n])
meta = header["__metadata__"]
w = {"F32": 4, "BF16": 2}[meta["tessera.dtype"]]
planes = stream[8 + n:]
count = len(planes) // w
data = bytearray(len(planes))
for k in range(w):
    data[k::w] = planes[k * count:(k + 1) * count]
canonical = stream[:8 + n] + bytes(data)
print(hashlib.sha256(canonical).hexdigest(), len(canonical), meta["tessera.dtype"], meta["tessera.site"])
shuffled = stream[:8 + n] + b"".join(bytes(data[k::w]) for k in range(w))
open(path + ".stream", "wb").write(shuffled)
subprocess.run(["zstd", "-q", "-3", "--check", "-f", path + ".stream", "-o", path + ".again"], check=True)
"""#

    private func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func rejectsDigestMismatch() throws {
        let update = try ContainerFixtures.update()
        let wrong = try SHA256.Digest(hex: String(repeating: "00", count: 32))
        var expectation = try ContainerFixtures.expectation(for: update, plan: PlanFixtures.plan(encoding: .fp32))
        expectation.digest = wrong
        let encoded = try update.encoded()
        #expect(throws: DeltaContainerError.digestMismatch(file: "u", found: encoded.digest, expected: wrong)) {
            try DeltaContainer.decode(encoded.bytes, source: "u", expecting: expectation)
        }
    }

    /// A frame declaring more than the limit is refused before any byte is inflated.
    @Test func refusesBombBeforeInflating() throws {
        let zeros = try Zstd.compress([UInt8](repeating: 0, count: 50_000_000))
        #expect(zeros.count < 10_000)
        #expect(throws: DeltaContainerError.tooLarge(file: "bomb", declaredBytes: 50_000_000, limit: 1_000_000)) {
            try DeltaContainer.decode(zeros, source: "bomb", expecting: .init(maximumDecompressedBytes: 1_000_000))
        }
    }

    @Test func rejectsTruncatedAndTrailingBytes() throws {
        let bytes = try ContainerFixtures.update().encoded().bytes
        let expectation = DeltaContainer.Expectation(maximumDecompressedBytes: 1 << 20)
        #expect {
            try DeltaContainer.decode(Array(bytes.dropLast(100)), source: "cut", expecting: expectation)
        } throws: { error in
            guard let error = error as? DeltaContainerError else { return false }
            if case .truncated = error { return true }
            if case .decompressionFailed = error { return true }
            return false
        }
        #expect(throws: DeltaContainerError.trailingBytes(file: "two", frameBytes: bytes.count, totalBytes: 2 * bytes.count)) {
            try DeltaContainer.decode(bytes + bytes, source: "two", expecting: expectation)
        }
    }

    @Test func namesTheWrongTensor() throws {
        let update = try ContainerFixtures.update()
        var plan = try PlanFixtures.plan(encoding: .fp32)
        let expectation = try ContainerFixtures.expectation(for: update, plan: plan)
        var narrowed = update
        let index = try #require(narrowed.tensors.firstIndex { $0.name.hasSuffix("layers.1.self_attn.v_proj.lora_B.weight") })
        narrowed.tensors[index] = NamedTensor(name: narrowed.tensors[index].name, shape: [32, 2], values: Array(repeating: 0, count: 64))
        #expect(throws: DeltaContainerError.shapeMismatch(file: "u", tensor: narrowed.tensors[index].name, found: [32, 2], expected: [32, 4])) {
            try DeltaContainer.decode(narrowed.encoded().bytes, source: "u", expecting: expectation)
        }
        var missing = update
        let removed = missing.tensors.remove(at: index)
        #expect(throws: DeltaContainerError.missingTensor(file: "u", tensor: removed.name)) {
            try DeltaContainer.decode(missing.encoded().bytes, source: "u", expecting: expectation)
        }
        plan = try PlanFixtures.plan(ffa: true, encoding: .fp32)
        let ffaExpectation = try ContainerFixtures.expectation(for: update, plan: plan)
        let firstA = try #require(update.tensors.map(\.name).sorted().first { $0.hasSuffix("lora_A.weight") })
        #expect(throws: DeltaContainerError.unexpectedTensor(file: "u", tensor: firstA)) {
            try DeltaContainer.decode(update.encoded().bytes, source: "u", expecting: ffaExpectation)
        }
    }

    @Test func namesHeaderMismatches() throws {
        let update = try ContainerFixtures.update()
        var expectation = try ContainerFixtures.expectation(for: update, plan: PlanFixtures.plan(encoding: .fp32))
        expectation.round = 4
        let error = #expect(throws: DeltaContainerError.headerMismatch(file: "u", field: "tessera.round", found: "3", expected: "4")) {
            try DeltaContainer.decode(update.encoded().bytes, source: "u", expecting: expectation)
        }
        #expect(error?.code == .wrongRound)
    }

    /// NaN cannot be encoded, and a container carrying one (built past the encoder) is refused
    /// with the tensor, element and value.
    @Test func rejectsNonFiniteValues() throws {
        var update = try ContainerFixtures.update()
        update.tensors[1].values[5] = .nan
        #expect(throws: DeltaContainerError.invalidTensor(tensor: update.tensors[1].name,
                                                          reason: "element 5 is nan, not finite in \(update.header.encoding.rawValue)")) {
            try update.encoded()
        }
        var entries = update.tensors.map { Safetensors.Entry.float32(name: $0.name, shape: $0.shape, values: $0.values) }
        entries[1] = Safetensors.Entry.float32(name: update.tensors[1].name, shape: update.tensors[1].shape, values: update.tensors[1].values)
        let canonical = Safetensors.encode(entries, metadata: try update.header.metadata())
        let bytes = try ContainerFixtures.container(around: canonical, width: 4)
        let expectation = try ContainerFixtures.expectation(for: update, plan: PlanFixtures.plan(encoding: .fp32))
        #expect {
            try DeltaContainer.decode(bytes, source: "u", expecting: expectation)
        } throws: { error in
            guard case let .nonFiniteValue(_, tensor, index, value) = error as? DeltaContainerError else { return false }
            return tensor == update.tensors[1].name && index == 5 && value.isNaN
        }
    }

    /// A value bf16 cannot hold (above its largest finite value) is refused on encoding.
    @Test func refusesValuesBeyondBF16Range() throws {
        var update = try ContainerFixtures.update(encoding: .bf16)
        update.tensors[0].values[0] = .greatestFiniteMagnitude
        #expect(throws: DeltaContainerError.invalidTensor(tensor: update.tensors[0].name,
                                                          reason: "element 0 is \(Float.greatestFiniteMagnitude), not finite in bf16")) {
            try update.encoded()
        }
    }

    /// Non-canonical safetensors (tensors stored out of name order) are refused even though a
    /// generic reader would accept them.
    @Test func rejectsNonCanonicalBytes() throws {
        let update = try ContainerFixtures.update()
        var canonical = try update.canonicalBytes()
        // Pad the header with one more block of 8 spaces: still valid safetensors, not canonical.
        let headerLength = DeltaContainer.headerEnd(canonical) - 8
        canonical.insert(contentsOf: [UInt8](repeating: 32, count: 8), at: 8 + headerLength)
        let newLength = UInt64(headerLength + 8)
        canonical.replaceSubrange(0..<8, with: (0..<8).map { UInt8(truncatingIfNeeded: newLength >> (8 * UInt64($0))) })
        let bytes = try ContainerFixtures.container(around: canonical, width: 4)
        #expect(throws: DeltaContainerError.notCanonical(file: "u")) {
            try DeltaContainer.decode(bytes, source: "u", expecting: .init(maximumDecompressedBytes: 1 << 20))
        }
    }
}
