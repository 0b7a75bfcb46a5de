import Foundation
import Protocols
import Testing

struct TrainingPlanTests {
    /// The derived global list equals PEFT's own adapter file for the same LoRA fields.
    @Test func derivesPEFTNamesAndShapes() throws {
        let tensors = try TrainingPlan.Tensors.derived(from: PlanFixtures.base, lora: PlanFixtures.lora(), encoding: .fp32)
        #expect(tensors.global.map(\.name) == PlanFixtures.peftAdapterProjector.map(\.0))
        #expect(tensors.global.map(\.shape) == PlanFixtures.peftAdapterProjector.map(\.1))
        #expect(tensors.global.allSatisfy { $0.dtype == .F32 })
        #expect(tensors.upload == tensors.global)
    }

    /// PEFT's list form matches by suffix, so `q_proj` also reaches the vision tower.
    @Test func listTargetsMatchBySuffix() throws {
        var lora = PlanFixtures.lora()
        lora.targetModules = .names(["q_proj"])
        let names = try TrainingPlan.Tensors.derived(from: PlanFixtures.base, lora: lora, encoding: .fp32).global.map(\.name)
        #expect(names.filter { $0.hasSuffix("lora_A.weight") }.count == 4)
        #expect(names.contains("base_model.model.model.vision_tower.vision_model.encoder.layers.1.self_attn.q_proj.lora_A.weight"))
    }

    /// Under FFA the upload list drops every lora_A; bf16 uploads are BF16, globals stay F32.
    @Test func ffaUploadsOmitA() throws {
        let plan = try PlanFixtures.plan(ffa: true, encoding: .bf16)
        #expect(plan.tensors.upload.count == 8)
        #expect(!plan.tensors.upload.contains { $0.name.hasSuffix("lora_A.weight") })
        #expect(plan.tensors.upload.allSatisfy { $0.dtype == .BF16 })
        #expect(plan.tensors.global.count == 12)
    }

    @Test func roundTripsThroughJSON() throws {
        let plan = try PlanFixtures.plan()
        let json = try WireJSON.encode(plan)
        #expect(try TrainingPlan.decode(json: json) == plan)
        // Stable bytes: encoding the decoded plan again gives the same JSON.
        #expect(try WireJSON.encode(TrainingPlan.decode(json: json)) == json)
    }

    @Test func rejectsUnknownField() throws {
        let json = try PlanFixtures.json(PlanFixtures.plan(), setting: "schedule.momentum", to: 0.9)
        #expect(throws: TrainingPlanError.unknownField(path: "schedule.momentum")) { try TrainingPlan.decode(json: json) }
        let nested = try PlanFixtures.json(PlanFixtures.plan(), setting: "objectives.1.temperature", to: 0.1)
        #expect(throws: TrainingPlanError.unknownField(path: "objectives.1.temperature")) { try TrainingPlan.decode(json: nested) }
    }

    /// Free-form objective options and an explicit null for an optional field are not unknown.
    @Test func acceptsOptionsAndNullOptionals() throws {
        var json = try PlanFixtures.json(PlanFixtures.plan(), setting: "objectives.1.options.k", to: ["a": [1, 2]])
        #expect(try TrainingPlan.decode(json: json).objectives[1].options["k"] == .object(["a": .array([.number(1), .number(2)])]))
        json = try PlanFixtures.json(PlanFixtures.plan(), setting: "schedule.gradient_clip_norm", to: NSNull())
        #expect(try TrainingPlan.decode(json: json).schedule.gradientClipNorm == nil)
    }

    @Test func rejectsUnsupportedProtocolVersion() throws {
        let json = try PlanFixtures.json(PlanFixtures.plan(), setting: "protocol_version", to: 2)
        #expect(throws: TrainingPlanError.unsupportedProtocolVersion(found: 2, expected: 1)) { try TrainingPlan.decode(json: json) }
    }

    @Test func namesMissingField() throws {
        let json = try PlanFixtures.json(PlanFixtures.plan(), setting: "schedule.steps", to: nil)
        #expect(throws: TrainingPlanError.malformed(path: "schedule.steps", reason: "required field is missing")) {
            try TrainingPlan.decode(json: json)
        }
    }

    @Test func rejectsFFAWithoutFFAStrategy() throws {
        let json = try PlanFixtures.json(PlanFixtures.plan(ffa: true), setting: "round.strategy", to: "fedavg")
        #expect(throws: TrainingPlanError.ffaMismatch(ffa: true, strategy: "fedavg")) { try TrainingPlan.decode(json: json) }
        let other = try PlanFixtures.json(PlanFixtures.plan(ffa: false), setting: "round.strategy", to: "ffa")
        #expect(throws: TrainingPlanError.ffaMismatch(ffa: false, strategy: "ffa")) { try TrainingPlan.decode(json: other) }
    }

    @Test func rejectsLoRAAInFFAUpload() throws {
        var plan = try PlanFixtures.plan(ffa: true)
        let a = try #require(plan.tensors.global.first)
        plan.tensors.upload.insert(TensorSpec(name: a.name, shape: a.shape, dtype: .BF16), at: 0)
        #expect(throws: TrainingPlanError.unexpectedTensor(field: "tensors.upload", tensor: a.name,
                                                           reason: "is frozen under FFA and must not be uploaded")) { try plan.validate() }
    }

    @Test func rejectsFactorShapeNotMatchingRank() throws {
        var plan = try PlanFixtures.plan()
        let index = try #require(plan.tensors.global.firstIndex { $0.name.hasSuffix("q_proj.lora_B.weight") })
        plan.tensors.global[index].shape = [64, 8]
        #expect(throws: TrainingPlanError.shapeMismatch(field: "tensors.global", tensor: plan.tensors.global[index].name,
                                                        found: [64, 8], expected: [64, 4])) { try plan.validate() }
    }

    @Test func rejectsUnpairedFactorAndUncoveredTensor() throws {
        var plan = try PlanFixtures.plan()
        let b = try #require(plan.tensors.global.firstIndex { $0.name.hasSuffix("q_proj.lora_B.weight") })
        let removed = plan.tensors.global.remove(at: b)
        #expect(throws: TrainingPlanError.missingTensor(field: "tensors.global", tensor: removed.name)) { try plan.validate() }

        plan = try PlanFixtures.plan()
        plan.tensors.global.append(TensorSpec(name: "base_model.model.lm_head.weight", shape: [320, 64], dtype: .F32))
        #expect(throws: TrainingPlanError.unexpectedTensor(field: "tensors.global", tensor: "base_model.model.lm_head.weight",
                                                           reason: "belongs to no module of lora.modules_to_save [\"multi_modal_projector\"]")) {
            try plan.validate()
        }
    }

    @Test func rejectsUploadDTypeOtherThanEncoding() throws {
        var plan = try PlanFixtures.plan(encoding: .bf16)
        plan.tensors.upload[0].dtype = .F32
        #expect(throws: TrainingPlanError.dtypeMismatch(field: "tensors.upload", tensor: plan.tensors.upload[0].name,
                                                        found: "F32", expected: "BF16 (wire.encoding bf16)")) { try plan.validate() }
    }

    @Test func requiresAutoregressiveObjectiveFirst() throws {
        let json = try PlanFixtures.json(PlanFixtures.plan(), setting: "objectives.0.name", to: "dpo")
        #expect(throws: TrainingPlanError.invalidValue(field: "objectives.0.name", value: "dpo",
                                                       expected: "ar (the autoregressive loss comes first)")) { try TrainingPlan.decode(json: json) }
    }

    @Test(arguments: [
        ("schedule.steps", 0.0, "an integer ≥ 1"),
        ("schedule.batch_size", -1, "an integer ≥ 1"),
        ("schedule.learning_rate", 0, "a finite number > 0"),
        ("round.quorum", 0, "an integer ≥ 1"),
        ("wire.maximum_upload_bytes", 0, "an integer ≥ 1"),
        ("lora.dropout", 1, "a probability in [0, 1)"),
    ])
    func rejectsNonPositiveSizes(field: String, value: Double, expected: String) throws {
        let json = try PlanFixtures.json(PlanFixtures.plan(), setting: field, to: value)
        #expect {
            try TrainingPlan.decode(json: json)
        } throws: { error in
            guard case let .invalidValue(found, _, message) = error as? TrainingPlanError else { return false }
            return found == field && message == expected
        }
    }

    /// The batch is the examples of one optimizer step, split into equal micro-batches.
    @Test func batchSizeIsAMultipleOfTheAccumulation() throws {
        let plan = try PlanFixtures.plan()
        let json = try PlanFixtures.json(plan, setting: "schedule.gradient_accumulation", to: Double(plan.schedule.batchSize + 1))
        #expect(throws: TrainingPlanError.invalidValue(
            field: "schedule.batch_size", value: "\(plan.schedule.batchSize)",
            expected: "a multiple of schedule.gradient_accumulation (\(plan.schedule.batchSize + 1)): the examples of one optimizer step, split into that many micro-batches")) {
            try TrainingPlan.decode(json: json)
        }
    }

    @Test func trimmedMeanNeedsItsFraction() throws {
        var json = try PlanFixtures.json(PlanFixtures.plan(), setting: "round.strategy", to: "trimmed-mean")
        #expect(throws: TrainingPlanError.invalidValue(field: "round.strategy_options.trim_fraction", value: "absent",
                                                       expected: "a fraction in (0, 0.5) for trimmed-mean")) { try TrainingPlan.decode(json: json) }
        let plan = try PlanFixtures.plan()
        var object = try PlanFixtures.planObject(plan)
        var round = try #require(object["round"] as? [String: Any])
        round["strategy"] = "trimmed-mean"
        round["strategy_options"] = ["trim_fraction": 0.2]
        object["round"] = round
        json = try JSONSerialization.data(withJSONObject: object)
        #expect(try TrainingPlan.decode(json: json).round.strategyOptions.trimFraction == 0.2)
    }

    /// A site checks the plan against its own base model: a different width is caught by name.
    @Test func validatesAgainstBaseModel() throws {
        let plan = try PlanFixtures.plan()
        try plan.validate(against: PlanFixtures.base)
        var other = PlanFixtures.base
        let index = try #require(other.linearLayers.firstIndex { $0.modulePath == "model.language_model.layers.0.self_attn.v_proj" })
        other.linearLayers[index].outFeatures = 64
        #expect(throws: TrainingPlanError.shapeMismatch(
            field: "tensors.global", tensor: "base_model.model.model.language_model.layers.0.self_attn.v_proj.lora_B.weight",
            found: [32, 4], expected: [64, 4])) { try plan.validate(against: other) }
    }

    /// The documented seed derivation, recomputed with Python's hashlib:
    /// `sha256(b"tessera.site-seed.v1\0" + struct.pack(">QQ", 7, 3) + b"site-a")[:8]`.
    @Test func derivesSeedsAsDocumented() throws {
        let randomness = TrainingPlan.Randomness(campaignSeed: 7)
        #expect(try randomness.siteSeed(round: 3, site: "site-a") == 0xc605_75c7_5722_57f9)
        #expect(try randomness.adapterInitializationSeed() == 0x1f73_ead4_d12e_7f49)
        #expect(try randomness.siteSeed(round: 3, site: "site-b") != randomness.siteSeed(round: 3, site: "site-a"))
    }

    @Test func scaleFollowsRSLoRA() {
        var lora = PlanFixtures.lora(r: 16)
        #expect(lora.scale == 1)
        lora.useRSLoRA = true
        #expect(lora.scale == 4)
    }
}
