import Tensor

/// The model's modules and parameters as its configuration lays them out, with no weight allocated.
extension LlavaConfiguration {
    /// One linear layer: module path, `W: (outputs, inputs)`.
    public struct LinearLayerShape: Equatable, Sendable {
        public var path: String
        public var inputs: Int
        public var outputs: Int
    }

    /// Every linear layer in ``LlavaModel/linearLayers`` order (vision tower, projector, language
    /// model, lm_head unless tied) and every base parameter's shape by module path: what
    /// ``LlavaModel/init(configuration:)`` builds, for a model too large to build.
    public var layout: (linearLayers: [LinearLayerShape], parameters: [String: [Int]]) {
        var linearLayers: [LinearLayerShape] = []
        var parameters: [String: [Int]] = [:]
        func linear(_ path: String, inputs: Int, outputs: Int, bias: Bool) {
            linearLayers.append(.init(path: path, inputs: inputs, outputs: outputs))
            parameters[path + ".weight"] = [outputs, inputs]
            if bias { parameters[path + ".bias"] = [outputs] }
        }
        func layerNorm(_ path: String, width: Int) {
            parameters[path + ".weight"] = [width]
            parameters[path + ".bias"] = [width]
        }

        let tower = CheckpointNames.visionTower, width = vision.hiddenSize
        parameters["\(tower).embeddings.class_embedding"] = [width]
        parameters["\(tower).embeddings.patch_embedding.weight"] = [width, vision.channels, vision.patchSize, vision.patchSize]
        parameters["\(tower).embeddings.position_embedding.weight"] = [vision.patchCount + 1, width]
        layerNorm("\(tower).pre_layrnorm", width: width)
        for index in 0..<vision.layers {
            let path = "\(tower).encoder.layers.\(index)"
            layerNorm("\(path).layer_norm1", width: width)
            for name in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                linear("\(path).self_attn.\(name)", inputs: width, outputs: width, bias: true)
            }
            linear("\(path).mlp.fc1", inputs: width, outputs: vision.intermediateSize, bias: true)
            linear("\(path).mlp.fc2", inputs: vision.intermediateSize, outputs: width, bias: true)
            layerNorm("\(path).layer_norm2", width: width)
        }
        layerNorm("\(tower).post_layernorm", width: width)

        let projector = CheckpointNames.projector
        linear("\(projector).linear_1", inputs: width, outputs: text.hiddenSize, bias: projectorBias)
        linear("\(projector).linear_2", inputs: text.hiddenSize, outputs: text.hiddenSize, bias: projectorBias)

        let language = CheckpointNames.languageModel, hidden = text.hiddenSize
        let queries = text.heads * text.headSize, keysAndValues = text.keyValueHeads * text.headSize
        parameters["\(language).embed_tokens.weight"] = [text.vocabularySize, hidden]
        for index in 0..<text.layers {
            let path = "\(language).layers.\(index)"
            parameters["\(path).input_layernorm.weight"] = [hidden]
            linear("\(path).self_attn.q_proj", inputs: hidden, outputs: queries, bias: text.attentionBias)
            linear("\(path).self_attn.k_proj", inputs: hidden, outputs: keysAndValues, bias: text.attentionBias)
            linear("\(path).self_attn.v_proj", inputs: hidden, outputs: keysAndValues, bias: text.attentionBias)
            linear("\(path).self_attn.o_proj", inputs: queries, outputs: hidden, bias: text.attentionBias)
            linear("\(path).mlp.gate_proj", inputs: hidden, outputs: text.intermediateSize, bias: text.mlpBias)
            linear("\(path).mlp.up_proj", inputs: hidden, outputs: text.intermediateSize, bias: text.mlpBias)
            linear("\(path).mlp.down_proj", inputs: text.intermediateSize, outputs: hidden, bias: text.mlpBias)
            parameters["\(path).post_attention_layernorm.weight"] = [hidden]
        }
        parameters["\(language).norm.weight"] = [hidden]
        if !text.tieWordEmbeddings { linear("lm_head", inputs: hidden, outputs: text.vocabularySize, bias: false) }
        return (linearLayers, parameters)
    }

    /// Round 0's LoRA factors as ``LlavaModel/addLoRA(_:seed:)`` draws them (A Kaiming-uniform in
    /// layer order from `seed`, B zero), by PEFT's saved names, without a model.
    /// - Throws: ``ModelError/adapterMatchesNothing(file:targetModules:)``.
    public func initialLoRAFactors(_ lora: LoRAConfiguration, seed: UInt64) throws -> [String: (shape: [Int], values: [Float])] {
        var generator = SeededGenerator(seed: seed)
        let targeted = layout.linearLayers.filter { lora.targets(path: $0.path) }
        guard !targeted.isEmpty else {
            throw ModelError.adapterMatchesNothing(file: "LoRA configuration", targetModules: "\(lora.targets)")
        }
        var factors: [String: (shape: [Int], values: [Float])] = [:]
        for layer in targeted {
            factors[CheckpointNames.loraA(layer.path)] = ([lora.rank, layer.inputs],
                                                          LoRAAdapter.initialA(inputs: layer.inputs, rank: lora.rank, generator: &generator))
            factors[CheckpointNames.loraB(layer.path)] = ([layer.outputs, lora.rank], [Float](repeating: 0, count: layer.outputs * lora.rank))
        }
        return factors
    }
}
