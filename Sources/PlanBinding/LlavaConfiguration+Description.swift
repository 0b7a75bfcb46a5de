import Model
import Protocols

extension LlavaConfiguration {
    /// The base model's description from its configuration alone: the same as a loaded model's
    /// ``LlavaModel/baseModelDescription``, without reading or allocating a weight. A site whose
    /// rounds run on an external trainer (a model too large to load here) checks plans with it.
    public var baseModelDescription: BaseModelDescription {
        var linearLayers: [BaseModelDescription.LinearLayer] = []
        var parameters: [BaseModelDescription.Parameter] = []
        func parameter(_ path: String, _ shape: [Int]) { parameters.append(.init(path: path, shape: shape)) }
        func linear(_ path: String, inputs: Int, outputs: Int, bias: Bool) {
            linearLayers.append(.init(modulePath: path, inFeatures: inputs, outFeatures: outputs))
            parameter(path + ".weight", [outputs, inputs])
            if bias { parameter(path + ".bias", [outputs]) }
        }
        func layerNorm(_ path: String, width: Int) {
            parameter(path + ".weight", [width])
            parameter(path + ".bias", [width])
        }

        // The order of LlavaModel.linearLayers: vision tower, projector, language model, lm_head.
        let tower = CheckpointNames.visionTower, width = vision.hiddenSize
        parameter("\(tower).embeddings.class_embedding", [width])
        parameter("\(tower).embeddings.patch_embedding.weight", [width, vision.channels, vision.patchSize, vision.patchSize])
        parameter("\(tower).embeddings.position_embedding.weight", [vision.patchCount + 1, width])
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
        parameter("\(language).embed_tokens.weight", [text.vocabularySize, hidden])
        for index in 0..<text.layers {
            let path = "\(language).layers.\(index)"
            parameter("\(path).input_layernorm.weight", [hidden])
            linear("\(path).self_attn.q_proj", inputs: hidden, outputs: queries, bias: text.attentionBias)
            linear("\(path).self_attn.k_proj", inputs: hidden, outputs: keysAndValues, bias: text.attentionBias)
            linear("\(path).self_attn.v_proj", inputs: hidden, outputs: keysAndValues, bias: text.attentionBias)
            linear("\(path).self_attn.o_proj", inputs: queries, outputs: hidden, bias: text.attentionBias)
            linear("\(path).mlp.gate_proj", inputs: hidden, outputs: text.intermediateSize, bias: text.mlpBias)
            linear("\(path).mlp.up_proj", inputs: hidden, outputs: text.intermediateSize, bias: text.mlpBias)
            linear("\(path).mlp.down_proj", inputs: text.intermediateSize, outputs: hidden, bias: text.mlpBias)
            parameter("\(path).post_attention_layernorm.weight", [hidden])
        }
        parameter("\(language).norm.weight", [hidden])
        if !text.tieWordEmbeddings { linear("lm_head", inputs: hidden, outputs: text.vocabularySize, bias: false) }
        return BaseModelDescription(linearLayers: linearLayers, parameters: parameters.sorted { $0.path < $1.path })
    }
}
