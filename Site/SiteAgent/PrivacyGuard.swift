import Foundation
import PlanBinding
import Protocols
import Security

/// What may leave the site, checked twice: the plan before training (its upload list holds only
/// adapter tensors of this site's own base model, and whole modules only where the site allows
/// them), and the exact bytes before every upload attempt (decoded as the aggregator will, they
/// hold exactly the plan's upload list under this site's header). Images, reports and text are
/// never part of an update: it is built from ``Training/LocalTrainer/adapterTensors(_:)`` alone
/// (the model's adapter tensors and the objectives' own).
public struct PrivacyGuard: Sendable {
    /// This site's id (the certificate's CN).
    public var site: String
    /// Modules whose parameters may leave in full (`[privacy] modules_to_save`).
    public var modulesToSaveAllowed: [String]

    public init(site: String, modulesToSaveAllowed: [String]) {
        self.site = site
        self.modulesToSaveAllowed = modulesToSaveAllowed
    }

    /// Checks a round's plan against this site's base model before any training.
    /// - Throws: ``PrivacyGuardError/notAnAdapterTensor(tensor:reason:)``,
    ///   ``PrivacyGuardError/moduleNotAllowed(tensor:allowed:)``, or the `TrainingPlanError` of
    ///   `plan.validate(against:objectiveTensors:)` when the lists are not what this base model and
    ///   the plan's LoRA fields and objectives give.
    public func checkPlan(_ plan: TrainingPlan, base: BaseModelDescription) throws {
        try checkUploadNames(plan)
        try plan.validate(against: base, objectiveTensors: try plan.objectiveTensorSpecs(for: base))
    }

    /// The name rules of ``checkPlan(_:base:)``: every upload tensor a LoRA factor, an objective's
    /// tensor, or a parameter of an allowed module.
    /// - Throws: ``PrivacyGuardError/notAnAdapterTensor(tensor:reason:)``, ``PrivacyGuardError/moduleNotAllowed(tensor:allowed:)``.
    public func checkUploadNames(_ plan: TrainingPlan) throws {
        for spec in plan.tensors.upload {
            switch AdapterTensorName(parsing: spec.name) {
            case .loraA?, .loraB?, .objective?:
                continue
            case let .saved(parameterPath)?:
                guard TrainingPlan.Tensors.isSaved(parameterPath: parameterPath, modulesToSave: modulesToSaveAllowed) else {
                    throw PrivacyGuardError.moduleNotAllowed(tensor: spec.name, allowed: modulesToSaveAllowed)
                }
            case nil:
                throw PrivacyGuardError.notAnAdapterTensor(tensor: spec.name, reason: "is neither a PEFT adapter name (base_model.model.…) nor an objective's (tessera.objective.…)")
            }
        }
    }

    /// Checks a container about to be encoded: exactly the plan's upload tensors (names, shapes),
    /// in the plan's encoding, with this site's round, site id and base digest in its header.
    /// - Throws: ``PrivacyGuardError``.
    public func checkContainer(_ container: DeltaContainer, plan: TrainingPlan, round: Int, baseDigest: SHA256.Digest) throws {
        let header = container.header
        for (field, found, expected) in [("round", "\(header.round)", "\(round)"), ("site", header.site ?? "none", site),
                                         ("base digest", header.baseDigest.hex, baseDigest.hex),
                                         ("encoding", header.encoding.rawValue, plan.wire.encoding.rawValue)]
        where found != expected {
            throw PrivacyGuardError.headerMismatch(field: field, found: found, expected: expected)
        }
        let expected = Dictionary(plan.tensors.upload.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for tensor in container.tensors.sorted(by: { $0.name < $1.name }) {
            guard let spec = expected[tensor.name] else { throw PrivacyGuardError.unexpectedTensor(tensor: tensor.name) }
            guard tensor.shape == spec.shape, spec.dtype == header.encoding.dtype else {
                throw PrivacyGuardError.tensorMismatch(tensor: tensor.name, found: "\(header.encoding.dtype.rawValue) \(tensor.shape)",
                                                       expected: "\(spec.dtype.rawValue) \(spec.shape)")
            }
        }
        let present = Set(container.tensors.map(\.name))
        if let missing = plan.tensors.upload.first(where: { !present.contains($0.name) }) {
            throw PrivacyGuardError.missingTensor(tensor: missing.name)
        }
    }

    /// Checks the stored bytes of an update right before they are sent: decoded in full (digest,
    /// canonical form, finite values) and checked by ``checkUploadNames(_:)`` and
    /// ``checkContainer(_:plan:round:baseDigest:)``, and no larger than the plan allows.
    /// - Returns: the headers to send with them.
    /// - Throws: ``PrivacyGuardError``, `DeltaContainerError` for bytes that do not decode,
    ///   ``SiteAgentError/updateTooLarge(round:bytes:limit:)``.
    public func checkUpload(_ bytes: [UInt8], source: String, plan: TrainingPlan, round: Int,
                            baseDigest: SHA256.Digest) throws -> UploadMetadata {
        try checkUploadNames(plan)
        let limit = DeltaContainer.Expectation.maximumCanonicalBytes(for: plan.tensors.upload)
        let decoded = try DeltaContainer.decode(bytes, source: source, expecting: .init(maximumDecompressedBytes: limit))
        try checkContainer(decoded.container, plan: plan, round: round, baseDigest: baseDigest)
        guard bytes.count <= plan.wire.maximumUploadBytes else {
            throw SiteAgentError.updateTooLarge(round: round, bytes: bytes.count, limit: plan.wire.maximumUploadBytes)
        }
        return UploadMetadata(digest: decoded.digest, baseDigest: baseDigest, sampleCount: decoded.container.header.sampleCount,
                              encoding: decoded.container.header.encoding)
    }
}
