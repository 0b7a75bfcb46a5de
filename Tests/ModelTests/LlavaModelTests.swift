import Foundation
@testable import Model
import Tensor
import TestSupport
import Testing

struct LlavaModelTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func tinyModel(seed: UInt64 = 1) -> LlavaModel {
        let model = LlavaModel(configuration: ModelPreset.tiny.configuration)
        model.initializeWeights(seed: seed)
        return model
    }

    /// A batch with one image per sequence: BOS, the image tokens, then text.
    static func batch(for model: LlavaModel, sequences: Int = 2, textTokens: Int = 5, seed: UInt64 = 9) -> LlavaModel.Batch {
        let c = model.configuration
        var generator = SeededGenerator(seed: seed)
        var ids: [Int] = []
        for _ in 0..<sequences {
            ids += [c.text.bosTokenID] + [Int](repeating: c.imageTokenIndex, count: c.imageTokensPerImage)
            ids += (0..<textTokens).map { _ in 3 + Int(generator.nextWord() % UInt32(c.text.vocabularySize - 4)) }
        }
        let pixels = GradientCheck.random([sequences, 3, c.vision.imageSize, c.vision.imageSize], seed: seed + 1)
        return LlavaModel.Batch(inputIDs: ids, sequences: sequences, pixelValues: pixels, labels: ids)
    }

    @Test func configurationRoundTripsThroughHuggingFaceJSON() throws {
        for preset in ModelPreset.allCases {
            let configuration = preset.configuration
            #expect(try LlavaConfiguration(json: configuration.jsonData(), file: "config.json") == configuration)
        }
    }

    @Test func savedModelLoadsBackIdentically() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = Self.tinyModel()
        try model.save(to: directory)
        let loaded = try LlavaModel.load(from: directory)
        for (name, tensor) in model.parameters { #expect(loaded.parameters[name]?.values == tensor.values, "\(name)") }
        // Canonical bytes: saving again gives the same file.
        let again = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: again) }
        try loaded.save(to: again)
        #expect(try Data(contentsOf: directory.appendingPathComponent("model.safetensors"))
                == Data(contentsOf: again.appendingPathComponent("model.safetensors")))
    }

    @Test func rejectsCheckpointsThatDoNotFitTheConfiguration() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = Self.tinyModel()
        try model.save(to: directory)
        let weights = directory.appendingPathComponent("model.safetensors")
        let file = try SafetensorsFile(contentsOf: weights)
        func rewrite(_ transform: ([Safetensors.Entry]) -> [Safetensors.Entry]) throws {
            let entries = try file.names.map { Safetensors.Entry(name: $0, dtype: .F32, shape: try file.info($0).shape, bytes: try file.bytes($0)) }
            try Data(Safetensors.encode(transform(entries))).write(to: weights)
        }
        try rewrite { $0.filter { $0.name != "language_model.model.norm.weight" } }
        #expect(throws: ModelError.missingTensor(file: weights.path, tensor: "language_model.model.norm.weight")) {
            try LlavaModel.load(from: directory)
        }
        try rewrite { $0 + [.float32(name: "language_model.model.extra.weight", shape: [1], values: [0])] }
        #expect(throws: ModelError.unexpectedTensors(file: weights.path, tensors: ["language_model.model.extra.weight"])) {
            try LlavaModel.load(from: directory)
        }
        try rewrite { $0.map { $0.name == "language_model.model.norm.weight" ? .float32(name: $0.name, shape: [3], values: [1, 1, 1]) : $0 } }
        #expect(throws: ModelError.shapeMismatch(file: weights.path, tensor: "language_model.model.norm.weight", found: [3], expected: [64])) {
            try LlavaModel.load(from: directory)
        }
    }

    @Test func rejectsConfigurationsItCannotRun() throws {
        var json = try #require(try JSONSerialization.jsonObject(with: ModelPreset.tiny.configuration.jsonData()) as? [String: Any])
        var text = try #require(json["text_config"] as? [String: Any])
        text["num_key_value_heads"] = 3
        json["text_config"] = text
        #expect(throws: ModelError.invalidConfiguration(file: "c.json", field: "text_config.num_key_value_heads", reason: "3 does not divide 4 heads")) {
            try LlavaConfiguration(json: JSONSerialization.data(withJSONObject: json), file: "c.json")
        }
        text["num_key_value_heads"] = 2
        text["hidden_act"] = "gelu"
        json["text_config"] = text
        #expect(throws: ModelError.invalidConfiguration(file: "c.json", field: "text_config.hidden_act",
                                                        reason: "is \"gelu\"; LLaMA's MLP is SwiGLU (silu)")) {
            try LlavaConfiguration(json: JSONSerialization.data(withJSONObject: json), file: "c.json")
        }
        // Sizes below 1 are named, not trapped on (no heads once divided by zero, no layers made a negative count).
        text["hidden_act"] = "silu"
        text["head_dim"] = nil
        for (field, value) in [("num_attention_heads", 0), ("num_hidden_layers", -1), ("intermediate_size", 0)] {
            var broken = text
            broken[field] = value
            json["text_config"] = broken
            #expect(throws: ModelError.invalidConfiguration(file: "c.json", field: "text_config.\(field)", reason: "is \(value); expected an integer ≥ 1")) {
                try LlavaConfiguration(json: JSONSerialization.data(withJSONObject: json), file: "c.json")
            }
        }
    }

    @Test func targetsModulesAsPEFTDoes() {
        let byName = LoRAConfiguration(rank: 4, alpha: 8, targets: .names(["q_proj", "v_proj"]))
        #expect(byName.targets(path: "model.language_model.layers.0.self_attn.q_proj"))
        // Suffix names include the vision tower's projections of the same name.
        #expect(byName.targets(path: "model.vision_tower.encoder.layers.1.self_attn.v_proj"))
        #expect(!byName.targets(path: "model.language_model.layers.0.self_attn.o_proj"))
        #expect(!byName.targets(path: "model.language_model.layers.0.self_attn.xq_proj"))
        let byPattern = LoRAConfiguration(rank: 4, alpha: 8, targets: .pattern(#".*language_model.*\.(q_proj|v_proj)"#))
        #expect(byPattern.targets(path: "model.language_model.layers.0.self_attn.q_proj"))
        #expect(!byPattern.targets(path: "model.vision_tower.encoder.layers.1.self_attn.q_proj"))
        #expect(LoRAConfiguration(rank: 16, alpha: 16, targets: .names(["q"]), useRSLoRA: true).scale == 4)
    }

    /// B starts at zero, so a fresh adapter leaves the outputs unchanged; merging gives the same
    /// outputs as the adapter path; unmerging restores the base weights.
    @Test func freshAdapterMergeAndUnmergeKeepOutputs() throws {
        let model = Self.tinyModel()
        let batch = Self.batch(for: model)
        let base = try model.forward(batch).logits().values
        try model.addLoRA(LoRAConfiguration(rank: 4, alpha: 8, targets: .names(["q_proj", "v_proj", "gate_proj"])), seed: 5)
        // Equal up to BLAS's summation order (tests run in parallel and OpenBLAS may split work
        // differently when another test changes its thread count).
        expectClose(try model.forward(batch).logits().values, base, tolerance: 1e-6)
        for (name, tensor) in model.trainableParameters where name.hasSuffix("lora_B.weight") {
            tensor.values = GradientCheck.random(tensor.shape, seed: 77).values
        }
        let adapted = try model.forward(batch).logits().values
        #expect(adapted != base)
        let weight = try #require(model.parameters["model.language_model.layers.0.self_attn.q_proj.weight"]).values
        model.mergeAdapters()
        expectClose(try model.forward(batch).logits().values, adapted, tolerance: 1e-4)
        model.unmergeAdapters()
        expectClose(try #require(model.parameters["model.language_model.layers.0.self_attn.q_proj.weight"]).values, weight, tolerance: 1e-6)
    }

    @Test func ffaTrainsOnlyB() throws {
        let model = Self.tinyModel()
        // Language-model layers only: the vision tower's last layer does not run (feature layer −2),
        // so adapters there would get no gradient at all.
        try model.addLoRA(LoRAConfiguration(rank: 2, alpha: 4, targets: .pattern(".*language_model.*q_proj"),
                                            modulesToSave: ["multi_modal_projector"], freezeA: true), seed: 5)
        let names = model.trainableParameters.map(\.name)
        #expect(!names.contains { $0.hasSuffix("lora_A.weight") })
        #expect(names.contains { $0.hasSuffix("lora_B.weight") })
        #expect(names.contains("base_model.model.model.multi_modal_projector.linear_1.weight"))
        let batch = Self.batch(for: model)
        let output = try model.forward(batch, context: ForwardContext(isTraining: true))
        model.loss(logits: output.logits(), labels: batch.labels ?? [], sequences: 2).backward()
        #expect(model.adapterTensors.allSatisfy { $0.name.hasSuffix("lora_A.weight") == ($0.tensor.grad == nil) })
    }

    /// Training applies lm_head only where the loss counts; loss and every gradient must equal
    /// those of the loss on the full logits.
    @Test func lossAtCountedRowsEqualsLossOnFullLogits() throws {
        let model = Self.tinyModel()
        try model.addLoRA(LoRAConfiguration(rank: 2, alpha: 4, targets: .pattern(".*language_model.*(q_proj|down_proj)"),
                                            modulesToSave: ["multi_modal_projector"]), seed: 5)
        var batch = Self.batch(for: model)
        // Only each sequence's last three tokens count, as for a short answer.
        let perSequence = batch.inputIDs.count / 2
        batch.labels = batch.inputIDs.enumerated().map { $0.offset % perSequence < perSequence - 3 ? CrossEntropy.ignoreIndex : $0.element }
        func lossAndGradients(_ loss: (LlavaModel.Output) -> Tensor) throws -> (Float, [[Float]]) {
            for parameter in model.trainableParameters { parameter.tensor.zeroGradient() }
            let value = loss(try model.forward(batch, context: ForwardContext(isTraining: true)))
            value.backward()
            return (value.item, model.trainableParameters.map { $0.tensor.grad ?? [] })
        }
        let full = try lossAndGradients { model.loss(logits: $0.logits(), labels: batch.labels ?? [], sequences: 2) }
        let counted = try lossAndGradients { model.loss($0, labels: batch.labels ?? [], sequences: 2) }
        #expect(abs(full.0 - counted.0) <= 1e-6 * abs(full.0))
        #expect(full.1.allSatisfy { !$0.isEmpty })
        for (a, b) in zip(full.1, counted.1) { expectClose(b, a, tolerance: 1e-5) }
    }

    @Test func adapterRoundTripsThroughPEFTFiles() throws {
        let model = Self.tinyModel()
        try model.addLoRA(LoRAConfiguration(rank: 4, alpha: 16, targets: .pattern(#".*language_model.*\.(q_proj|v_proj)"#),
                                            modulesToSave: ["multi_modal_projector"]), seed: 5)
        for (_, tensor) in model.adapterTensors { tensor.values = GradientCheck.random(tensor.shape, seed: 3).values }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.saveAdapter(to: directory)
        let other = Self.tinyModel()
        try other.loadAdapter(from: directory)
        #expect(other.lora == model.lora)
        #expect(other.adapterTensors.map(\.name) == model.adapterTensors.map(\.name))
        #expect(other.adapterTensors.map(\.tensor.values) == model.adapterTensors.map(\.tensor.values))

        // Onto a merged adapter: its s·B·A leaves the weights first, so the same adapter gives the same logits.
        let batch = Self.batch(for: other)
        let before = try other.forward(batch, context: ForwardContext(isTraining: false)).logits().values
        other.mergeAdapters()
        try other.loadAdapter(from: directory)
        expectClose(try other.forward(batch, context: ForwardContext(isTraining: false)).logits().values, before, tolerance: 1e-5)

        // A file missing a factor leaves the loaded adapter in place.
        let weights = directory.appendingPathComponent("adapter_model.safetensors")
        let kept = try SafetensorsFile(contentsOf: weights)
        try Data(Safetensors.encode(try kept.names.dropFirst().map { .float32(name: $0, shape: try kept.info($0).shape, values: try kept.floats($0)) }))
            .write(to: weights)
        #expect(throws: ModelError.missingTensor(file: weights.path, tensor: kept.names[0])) { try other.loadAdapter(from: directory) }
        #expect(other.lora == model.lora)
        #expect(other.adapterTensors.map(\.tensor.values) == model.adapterTensors.map(\.tensor.values))
    }

    /// An adapter whose factor has another shape than the model's (made for another model, or
    /// with another rank than its config says) is refused naming the tensor and both shapes, and
    /// the model keeps no part of it.
    @Test func rejectsAnAdapterThatDoesNotFitTheModel() throws {
        let model = Self.tinyModel()
        try model.addLoRA(LoRAConfiguration(rank: 4, alpha: 16, targets: .pattern(#".*language_model.*\.(q_proj|v_proj)"#)), seed: 5)
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.saveAdapter(to: directory)
        let weights = directory.appendingPathComponent("adapter_model.safetensors")
        let saved = try SafetensorsFile(contentsOf: weights)
        let factor = try #require(saved.names.first { $0.contains("lora_A") })
        let shape = try saved.info(factor).shape
        let wider = [shape[0] + 1] + shape.dropFirst()
        try Data(Safetensors.encode(try saved.names.map { name in
            name == factor ? .float32(name: name, shape: wider, values: [Float](repeating: 0.5, count: wider.reduce(1, *)))
                : .float32(name: name, shape: try saved.info(name).shape, values: try saved.floats(name))
        })).write(to: weights)
        let other = Self.tinyModel()
        #expect(throws: ModelError.shapeMismatch(file: weights.path, tensor: factor, found: wider, expected: shape)) {
            try other.loadAdapter(from: directory)
        }
        #expect(other.lora == nil && other.adapterTensors.isEmpty)
    }

    @Test func rejectsAdapterSettingsItDoesNotImplement() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("adapter_config.json")
        try Data(#"{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj"],"use_dora":true}"#.utf8).write(to: config)
        #expect(throws: ModelError.invalidConfiguration(file: config.path, field: "use_dora", reason: "is true; Tessera implements plain LoRA")) {
            try Self.tinyModel().loadAdapter(from: directory)
        }
        try Data(#"{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["nothing_here"]}"#.utf8).write(to: config)
        #expect(throws: ModelError.adapterMatchesNothing(file: config.path, targetModules: "names([\"nothing_here\"])")) {
            try Self.tinyModel().loadAdapter(from: directory)
        }
        // A dropout the trainer cannot apply, and PEFT settings that change which layers are adapted, are named.
        let plain = #""peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj"],"layers_pattern":null"#
        for (extra, field, reason) in [(#""lora_dropout":1.0"#, "lora_dropout", "is 1.0; expected a probability in [0, 1)"),
                                       (#""layers_to_transform":[0]"#, "layers_to_transform", "is [0]; Tessera adapts every layer target_modules matches (null is supported)"),
                                       (#""lora_bias":true"#, "lora_bias", "is true; Tessera's LoRA factors have no bias")] {
            try Data("{\(plain),\(extra)}".utf8).write(to: config)
            #expect(throws: ModelError.invalidConfiguration(file: config.path, field: field, reason: reason)) {
                try Self.tinyModel().loadAdapter(from: directory)
            }
        }
    }

    @Test func rejectsImageTokensWithoutMatchingImages() throws {
        let model = Self.tinyModel()
        var batch = Self.batch(for: model)
        batch.pixelValues = nil
        #expect(throws: ModelError.invalidInput(reason: "32 image tokens but no image")) { try model.forward(batch) }
    }

    /// Every gradient of the whole model (full fine-tuning) matches finite differences on the tiny preset.
    @Test func fullModelGradientsMatchFiniteDifferences() throws {
        let model = Self.tinyModel()
        let batch = Self.batch(for: model, sequences: 1, textTokens: 3)
        let picked = ["model.vision_tower.embeddings.patch_embedding.weight", "model.vision_tower.encoder.layers.0.self_attn.q_proj.weight",
                      "model.multi_modal_projector.linear_1.bias", "model.language_model.layers.1.mlp.down_proj.weight",
                      "model.language_model.embed_tokens.weight", "model.language_model.norm.weight"]
        let tensors = try picked.map { try #require(model.parameters[$0]) }
        // The loss is scaled by 1000 so gradients are O(0.1–10); float32 rounding of a loss near
        // log V ≈ 6 leaves ≈ 1e-2 of noise in a central difference at that scale.
        let reports = GradientCheck.check(tensors, step: 1e-2, absoluteTolerance: 1e-2, relativeTolerance: 5e-2, maximumElements: 16) { _ in
            (try? model.forward(batch, context: ForwardContext(isTraining: true)))
                .map { model.loss(logits: $0.logits(), labels: batch.labels ?? [], sequences: 1) * 1000 } ?? Tensor(scalar: .nan)
        }
        for (name, report) in zip(picked, reports) { #expect(report.passed, "\(name): \(report)") }
    }
}
