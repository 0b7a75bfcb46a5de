import Foundation
@testable import Protocols
import Security
import Tensor
import Testing

struct DeltaContainerStoredTests {
    /// Read chunk by chunk from the byte planes, every tensor equals the full decode's, in both
    /// encodings; the buffer handed back is reused by the next open.
    @Test func readsTheValuesOfAFullDecode() throws {
        for encoding in WireEncoding.allCases {
            let update = try ContainerFixtures.update(encoding: encoding)
            let plan = try PlanFixtures.plan(encoding: encoding)
            let bytes = try update.encoded().bytes
            let decoded = try DeltaContainer.decode(bytes, source: "update", expecting: ContainerFixtures.expectation(for: update, plan: plan))
            var storage: [UInt8] = []
            for _ in 0..<2 {
                let stored = try DeltaContainer.Stored.open(bytes, source: "update", maximumDecompressedBytes: 1 << 24,
                                                            tensors: plan.tensors.upload, reusing: &storage)
                #expect(stored.header == update.header)
                #expect(stored.firstNonFiniteValue() == nil)
                for tensor in decoded.container.tensors {
                    var values: [Float] = []
                    stored.forEachChunk(ofTensor: tensor.name) { offset, chunk in
                        #expect(offset == values.count)
                        values += chunk
                    }
                    #expect(values.map(\.bitPattern) == tensor.values.map(\.bitPattern))
                    #expect(stored.shape(ofTensor: tensor.name) == tensor.shape)
                }
                storage = (consume stored).storage
            }
        }
    }

    /// NaN and ±Inf (which an encoder refuses, so the canonical bytes are built by hand) are
    /// found from the exponent bytes alone, with their tensor and element.
    @Test func findsNonFiniteValuesFromTheExponentBytes() throws {
        let update = try ContainerFixtures.update(encoding: .fp32)
        for (poison, text) in [(Float.nan, "nan"), (-Float.infinity, "-inf")] {
            var tensors = update.tensors.sorted { $0.name < $1.name }
            tensors[2].values[17] = poison
            let canonical = Safetensors.encode(tensors.map { Safetensors.Entry.float32(name: $0.name, shape: $0.shape, values: $0.values) },
                                               metadata: try update.header.metadata())
            var storage: [UInt8] = []
            let stored = try DeltaContainer.Stored.open(try ContainerFixtures.container(around: canonical, width: 4), source: "poisoned",
                                                        maximumDecompressedBytes: 1 << 24, tensors: nil, reusing: &storage)
            let found = try #require(stored.firstNonFiniteValue(), "\(text)")
            #expect(found.tensor == tensors[2].name && found.index == 17)
            #expect(found.value.isNaN == poison.isNaN && (poison.isNaN || found.value == poison))
        }
    }

    /// The tensor table is still checked against the expected specs.
    @Test func refusesUnexpectedShapes() throws {
        let update = try ContainerFixtures.update(encoding: .fp32)
        var specs = try PlanFixtures.plan(encoding: .fp32).tensors.upload
        let original = specs[0].shape
        specs[0].shape = [original[0] + 1] + original.dropFirst()
        var storage: [UInt8] = []
        #expect(throws: DeltaContainerError.shapeMismatch(file: "update", tensor: specs[0].name, found: original, expected: specs[0].shape)) {
            try DeltaContainer.Stored.open(try update.encoded().bytes, source: "update", maximumDecompressedBytes: 1 << 24,
                                           tensors: specs, reusing: &storage)
        }
    }
}
