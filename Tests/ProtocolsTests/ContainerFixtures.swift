import Foundation
@testable import Protocols
import Security
import Tensor

/// Deterministic updates and raw containers for the container tests.
enum ContainerFixtures {
    static let baseDigest = try! SHA256.Digest(hex: String(repeating: "5a", count: 32))

    /// A rank-4 update of the tiny model's q/v projections plus the projector, Gaussian values
    /// (std 0.02) from a seeded generator.
    static func update(encoding: WireEncoding = .fp32, seed: UInt64 = 1, ffa: Bool = false) throws -> DeltaContainer {
        let plan = try PlanFixtures.plan(ffa: ffa, encoding: encoding)
        var generator = SeededGenerator(seed: seed)
        let tensors = plan.tensors.upload.map { spec in
            NamedTensor(name: spec.name, shape: spec.shape, values: (0..<spec.elementCount).map { _ in 0.02 * generator.normal() })
        }
        let header = DeltaContainer.Header(round: 3, site: "site-a", baseDigest: baseDigest, sampleCount: 120, encoding: encoding,
                                           metrics: ["loss": 1.25, "accuracy": 0.5])
        return DeltaContainer(header: header, tensors: tensors)
    }

    /// A container around arbitrary canonical-layer bytes: shuffled with `width` and compressed
    /// as the encoder does, so tests can reach the layers behind zstd's checksum.
    static func container(around canonical: [UInt8], width: Int) throws -> [UInt8] {
        let stream = canonical.count >= 8 && DeltaContainer.headerEnd(canonical) <= canonical.count
            && (canonical.count - DeltaContainer.headerEnd(canonical)) % width == 0
            ? DeltaContainer.shuffled(canonical, width: width) : canonical
        return try Zstd.compress(stream)
    }

    static func expectation(for container: DeltaContainer, plan: TrainingPlan) throws -> DeltaContainer.Expectation {
        DeltaContainer.Expectation(maximumDecompressedBytes: DeltaContainer.Expectation.maximumCanonicalBytes(for: plan.tensors.upload),
                                   tensors: plan.tensors.upload, round: 3, site: "site-a", baseDigest: baseDigest,
                                   encoding: plan.wire.encoding)
    }
}
