import Foundation
import Model
import PlanBinding
import Protocols
import Security
@testable import SiteAgent
import Testing

@Suite("Privacy guard")
struct PrivacyGuardTests {
    static let guardian = PrivacyGuard(site: "site-a", modulesToSaveAllowed: ["multi_modal_projector"])
    static let embeddings = "base_model.model.model.language_model.embed_tokens.weight"

    static func plan(_ edit: (inout String) -> Void = { _ in }) throws -> (TrainingPlan, LlavaModel) {
        let model = LlavaModel(configuration: ModelPreset.tiny.configuration)
        var toml = CampaignDefinition.exampleTOML()
        edit(&toml)
        return (try CampaignDefinition(toml: toml, source: "test").plan(for: model.baseModelDescription), model)
    }

    @Test("a plan whose upload list holds the token embeddings is refused before training")
    func refusesEmbeddingsInPlan() throws {
        let (plan, model) = try Self.plan {
            $0 = $0.replacingOccurrences(of: #"modules_to_save = ["multi_modal_projector"]"#,
                                         with: #"modules_to_save = ["multi_modal_projector", "embed_tokens"]"#)
        }
        #expect(plan.tensors.upload.contains { $0.name == Self.embeddings })
        #expect(throws: PrivacyGuardError.moduleNotAllowed(tensor: Self.embeddings, allowed: ["multi_modal_projector"])) {
            try Self.guardian.checkPlan(plan, base: model.baseModelDescription)
        }
    }

    @Test("an update holding a tensor the plan does not name is refused, and one lacking a tensor too")
    func refusesForeignTensors() throws {
        let (plan, model) = try Self.plan()
        model.initializeWeights(seed: 1)
        _ = try model.initialGlobalAdapter(plan: plan)
        let digest = try SHA256.hash(Array("base".utf8))
        let header = DeltaContainer.Header(round: 1, site: "site-a", baseDigest: digest, sampleCount: 4, encoding: plan.wire.encoding)
        let tensors = try model.adapterTensors(plan.tensors.upload)
        try Self.guardian.checkContainer(DeltaContainer(header: header, tensors: tensors), plan: plan, round: 1, baseDigest: digest)

        let embeddings = NamedTensor(name: Self.embeddings, shape: [1, 2], values: [0.5, 0.25])
        #expect(throws: PrivacyGuardError.unexpectedTensor(tensor: Self.embeddings)) {
            try Self.guardian.checkContainer(DeltaContainer(header: header, tensors: tensors + [embeddings]), plan: plan, round: 1, baseDigest: digest)
        }
        #expect(throws: PrivacyGuardError.missingTensor(tensor: plan.tensors.upload[0].name)) {
            try Self.guardian.checkContainer(DeltaContainer(header: header, tensors: tensors.filter { $0.name != plan.tensors.upload[0].name }),
                                             plan: plan, round: 1, baseDigest: digest)
        }
        var otherSite = header
        otherSite.site = "site-b"
        #expect(throws: PrivacyGuardError.headerMismatch(field: "site", found: "site-b", expected: "site-a")) {
            try Self.guardian.checkContainer(DeltaContainer(header: otherSite, tensors: tensors), plan: plan, round: 1, baseDigest: digest)
        }

        // The stored bytes are checked the same way right before they are sent.
        let smuggled = try DeltaContainer(header: header, tensors: tensors + [embeddings]).encoded()
        #expect(throws: PrivacyGuardError.unexpectedTensor(tensor: Self.embeddings)) {
            try Self.guardian.checkUpload(smuggled.bytes, source: "update.tcz", plan: plan, round: 1, baseDigest: digest)
        }
        let good = try DeltaContainer(header: header, tensors: tensors).encoded()
        let metadata = try Self.guardian.checkUpload(good.bytes, source: "update.tcz", plan: plan, round: 1, baseDigest: digest)
        #expect(metadata == UploadMetadata(digest: good.digest, baseDigest: digest, sampleCount: 4, encoding: plan.wire.encoding))
    }
}
