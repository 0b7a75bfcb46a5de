import Federation
import Foundation
import Model
import PlanBinding
import Protocols
import Testing
import Training

@Suite("Plan binding")
struct PlanBindingTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func tinyPlan(_ model: LlavaModel, editing edit: (inout String) -> Void = { _ in }) throws -> TrainingPlan {
        var toml = CampaignDefinition.exampleTOML()
        edit(&toml)
        return try CampaignDefinition(toml: toml, source: "example").plan(for: model.baseModelDescription)
    }

    @Test("the base digest is SHA-256 over the files' digests in order (values from Python's hashlib)")
    func baseDigest() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in [("config.json", #"{"a": 1}"#), ("model.safetensors", "weights"), ("tokenizer.json", #"{"model": {}}"#)] {
            try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        }
        #expect(try BaseModelDirectory(directory).digest().hex == "54d1955bc0d11b3df1a506d6a9df659f14b28b59736edf5b485fb62d30582ea0")
        try Data(#"{"crop_size": 64}"#.utf8).write(to: directory.appendingPathComponent("preprocessor_config.json"))
        #expect(try BaseModelDirectory(directory).digest().hex == "b7b9267a9d4c68f27539184d7e3599507345a0e39088527da83be796fb483d1a")
        try FileManager.default.removeItem(at: directory.appendingPathComponent("tokenizer.json"))
        #expect(throws: PlanBindingError.missingBaseFile(directory: directory.path, file: "tokenizer.json")) {
            try BaseModelDirectory(directory)
        }
    }

    /// The plan's strategy and step-norm policy pick the aggregation: `clip` wraps the averaging
    /// strategies in streaming clipping and the others in ``ClippedSteps``; `reject` leaves the strategy
    /// alone (the intake refuses such updates before they are aggregated).
    @Test("each strategy and step-norm policy of a plan maps to its aggregation")
    func strategyTable() throws {
        let model = LlavaModel(configuration: ModelPreset.tiny.configuration)
        for strategy in ["fedavg", "ffa", "svd-merge", "median", "trimmed-mean"] {
            for policy in ["clip", "reject"] {
                var settings = CampaignDefinition.ExampleSettings()
                settings.strategy = strategy
                var toml = CampaignDefinition.exampleTOML(settings).replacingOccurrences(of: #"on_exceed = "clip""#, with: #"on_exceed = "\#(policy)""#)
                if strategy == "trimmed-mean" { toml += "\n[round.strategy_options]\ntrim_fraction = 0.2\n" }
                let plan = try CampaignDefinition(toml: toml, source: "example").plan(for: model.baseModelDescription)
                let aggregation = try plan.aggregationStrategy()
                #expect(aggregation.name == (policy == "clip" ? strategy + "+clip" : strategy))
                let wrapped = (aggregation as? ClippedSteps)?.base.name
                #expect(wrapped == (policy == "clip" && !["fedavg", "ffa"].contains(strategy) ? strategy : nil), "\(strategy) \(policy)")
                #expect((aggregation as? NormClipping)?.bound ?? (aggregation as? ClippedSteps)?.bound == (policy == "clip" ? 50 : nil))
            }
        }
    }

    /// FFA trains B alone and takes a learning rate four times LoRA's (measured in `bench federation`);
    /// one given explicitly is kept for any strategy.
    @Test("the example campaign's learning rate follows the strategy unless one is given")
    func learningRateFollowsStrategy() throws {
        let model = LlavaModel(configuration: ModelPreset.tiny.configuration)
        func rate(_ strategy: String, _ given: Double? = nil) throws -> Double {
            var settings = CampaignDefinition.ExampleSettings()
            settings.strategy = strategy
            settings.learningRate = given
            return try CampaignDefinition(toml: CampaignDefinition.exampleTOML(settings), source: "example")
                .plan(for: model.baseModelDescription).schedule.learningRate
        }
        #expect(try rate("fedavg") == 0.002 && rate("svd-merge") == 0.002 && rate("ffa") == 0.008)
        #expect(try rate("ffa", 0.003) == 0.003 && rate("fedavg", 0.005) == 0.005)
    }

    @Test("the example campaign makes a valid plan whose tensors follow the model")
    func exampleCampaign() throws {
        let model = LlavaModel(configuration: ModelPreset.tiny.configuration)
        let campaign = try CampaignDefinition(toml: CampaignDefinition.exampleTOML(), source: "example")
        #expect(campaign.name == "medsynth-demo" && campaign.rounds == 3)
        let plan = try campaign.plan(for: model.baseModelDescription)
        let layers = model.configuration.text.layers
        // 7 targeted projections per layer × (A, B), plus the projector's 4 parameters.
        #expect(plan.tensors.global.count == layers * 7 * 2 + 4)
        #expect(plan.tensors.upload.allSatisfy { $0.dtype == .BF16 })
        #expect(plan.round.stepNorm == .init(bound: 50, onExceed: .clip))
    }

    @Test("the configuration alone describes the model as the built model does, for each preset and the optional biases and heads")
    func descriptionFromConfiguration() {
        var variant = ModelPreset.tiny.configuration
        variant.text.tieWordEmbeddings = true
        variant.text.attentionBias = true
        variant.text.mlpBias = true
        variant.text.keyValueHeads = 1
        variant.projectorBias = false
        for configuration in ModelPreset.allCases.map(\.configuration) + [variant] {
            #expect(configuration.baseModelDescription == LlavaModel(configuration: configuration).baseModelDescription)
        }
    }

    @Test("campaign files with a derived field, a missing table or a bad value are refused by name")
    func badCampaigns() throws {
        let model = LlavaModel(configuration: ModelPreset.tiny.configuration)
        #expect(throws: PlanBindingError.campaignInvalid(file: "c", reason: "`rounds` must be an integer ≥ 1")) {
            try CampaignDefinition(toml: "name = \"x\"\nrounds = 0\n", source: "c")
        }
        #expect(throws: PlanBindingError.campaignInvalid(file: "c", reason: "`tensors` is derived by the aggregator; remove it")) {
            try CampaignDefinition(toml: "name = \"x\"\nrounds = 1\n[tensors]\nupload = []\n", source: "c")
        }
        let noWire = try CampaignDefinition(toml: CampaignDefinition.exampleTOML().replacingOccurrences(of: "[wire]", with: "[wire_]"), source: "c")
        #expect(throws: PlanBindingError.campaignInvalid(file: "c", reason: "the table [wire] is missing")) {
            try noWire.plan(for: model.baseModelDescription, source: "c")
        }
        // A limit below the update's uncompressed size is warned of, not refused: compression may bring it under.
        let plan = try Self.tinyPlan(model)
        #expect(CampaignDefinition.uploadLimitWarning(plan) == nil)
        let tight = try Self.tinyPlan(model) { $0 = $0.replacingOccurrences(of: "maximum_upload_bytes = 67108864", with: "maximum_upload_bytes = 1000") }
        let updateBytes = plan.tensors.upload.reduce(0) { $0 + $1.elementCount * 2 }
        #expect(CampaignDefinition.uploadLimitWarning(tight) == "warning: an update holds \(updateBytes) bytes of tensors before compression "
                + "(\(plan.tensors.upload.count) tensors in bf16), more than [wire] maximum_upload_bytes = 1000; sites send only updates that compress below it")
        do {
            _ = try Self.tinyPlan(model) { $0 = $0.replacingOccurrences(of: "steps = 60", with: "steps = 0") }
            Issue.record("steps = 0 was accepted")
        } catch let PlanBindingError.campaignInvalid(_, reason) {
            #expect(reason.contains("schedule.steps"))
        }
    }

    @Test("the trainer configuration is the plan's, with the derived site seed")
    func trainerConfiguration() throws {
        let model = LlavaModel(configuration: ModelPreset.tiny.configuration)
        let plan = try Self.tinyPlan(model)
        let configuration = try plan.trainerConfiguration(round: 3, site: "site-a", threads: 1, checkpointInterval: 5)
        #expect(configuration.seed == (try plan.randomness.siteSeed(round: 3, site: "site-a")))
        #expect(configuration.steps == 60 && configuration.batchSize == 64 && configuration.maximumSequenceLength == 192)
        #expect(configuration.learningRate == 0.002 && configuration.warmupSteps == 3 && configuration.gradientClipNorm == 1)
        #expect(configuration.loraRank == 8 && configuration.loraAlpha == 16 && !configuration.freezeA)
        #expect(configuration.objectives == [.init(name: "ar", weight: 1, options: ["examples": "vqa"])])
        #expect(try plan.labelledExamples() == .vqa)
        #expect(configuration.modulesToSave == ["multi_modal_projector"] && configuration.threads == 1 && configuration.checkpointInterval == 5)
    }

    @Test("round 0's adapter is PEFT's initialisation from the campaign seed, and round-trips onto a model")
    func globalAdapter() throws {
        let first = LlavaModel(configuration: ModelPreset.tiny.configuration)
        first.initializeWeights(seed: 1)
        let plan = try Self.tinyPlan(first)
        let initial = try first.initialGlobalAdapter(plan: plan)
        #expect(initial.map(\.name) == plan.tensors.global.map(\.name))
        for tensor in initial where tensor.name.hasSuffix("lora_B.weight") { #expect(tensor.values.allSatisfy { $0 == 0 }) }
        for tensor in initial where tensor.name.hasSuffix("lora_A.weight") { #expect(tensor.values.contains { $0 != 0 }) }

        // Without loading the model: the same tensors, from config.json and the projector's weights alone.
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try first.save(to: directory)
        #expect(try plan.initialGlobalAdapter(baseDirectory: directory) == initial)
        #expect(plan.tensors.global.contains { $0.name.hasSuffix("multi_modal_projector.linear_1.weight") })

        let second = LlavaModel(configuration: ModelPreset.tiny.configuration)
        second.initializeWeights(seed: 2)
        #expect(try second.initialGlobalAdapter(plan: plan).filter { $0.name.contains("lora_A") } == initial.filter { $0.name.contains("lora_A") })
        try second.applyGlobalAdapter(initial, plan: plan)
        #expect(try second.adapterTensors(plan.tensors.global) == initial)

        #expect(throws: PlanBindingError.adapterMismatch(tensor: "base_model.model.model.language_model.embed_tokens.weight",
                                                         reason: "the model has no such adapter tensor")) {
            try second.adapterTensors([TensorSpec(name: "base_model.model.model.language_model.embed_tokens.weight", shape: [1], dtype: .F32)])
        }
        #expect(throws: PlanBindingError.adapterMismatch(tensor: initial[0].name, reason: "missing from the global adapter")) {
            try second.applyGlobalAdapter(Array(initial.dropFirst()), plan: plan)
        }
    }

    /// An objective's own tensors (InfoNCE's logit scale, the words head) are in the plan's lists
    /// and in round 0's adapter at their initial values, from the loaded model and from
    /// `config.json` alike.
    @Test("objectives' own tensors are planned, uploaded and published in round 0")
    func objectiveTensors() throws {
        let model = LlavaModel(configuration: ModelPreset.tiny.configuration)
        model.initializeWeights(seed: 1)
        let plan = try Self.tinyPlan(model) { toml in
            toml = toml.replacingOccurrences(of: "[schedule]", with: """
                [[objectives]]
                name = "infonce"
                weight = 0.5
                options = { temperature = "0.1" }

                [[objectives]]
                name = "words"
                weight = 0.5

                [schedule]
                """)
        }
        let text = model.configuration.text
        let expected = [TensorSpec(name: "tessera.objective.infonce.logit_scale", shape: [1], dtype: .F32),
                        TensorSpec(name: "tessera.objective.words.weight", shape: [text.vocabularySize, text.hiddenSize], dtype: .F32),
                        TensorSpec(name: "tessera.objective.words.bias", shape: [text.vocabularySize], dtype: .F32)]
            .sorted { $0.name < $1.name }  // the plan lists tensors by name
        #expect(plan.tensors.global.filter { AdapterTensorName.isObjective($0.name) } == expected)
        #expect(plan.tensors.upload.filter { AdapterTensorName.isObjective($0.name) }.map(\.name) == expected.map(\.name))

        let initial = try model.initialGlobalAdapter(plan: plan)
        #expect(initial.map(\.name) == plan.tensors.global.map(\.name))
        let scale = try #require(initial.first { $0.name == "tessera.objective.infonce.logit_scale" })
        #expect(scale.values == [Float(Foundation.log(1 / Float(0.1)))])
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.save(to: directory)
        #expect(try plan.initialGlobalAdapter(baseDirectory: directory) == initial)
    }
}
