import Tensor

/// The LLaMA language model (HF `LlamaModel` + `lm_head`).
///
/// Legend: `N` sequences, `T` new tokens, `S` tokens attended (cached + new), `C` width, `H`/`Hkv`
/// query/KV heads, `D` head size, `V` vocabulary. Each layer: RMSNorm → q/k/v projections, RoPE on
/// q and k, causal grouped-query attention → o_proj → residual → RMSNorm → SwiGLU MLP
/// (`down(silu(gate(x)) ⊙ up(x))`) → residual. Then the final RMSNorm and `lm_head`.
public final class LlamaDecoder {
    let configuration: LlavaConfiguration.Text
    /// `(V, C)`.
    let embedTokens: Tensor
    let layers: [LlamaLayer]
    /// `(C)`.
    let norm: Tensor
    /// `(V, C)`; unused when the configuration ties it to `embedTokens`.
    let lmHead: LinearLayer

    init(_ configuration: LlavaConfiguration.Text) {
        self.configuration = configuration
        let prefix = CheckpointNames.languageModel
        embedTokens = Tensor(zeros: [configuration.vocabularySize, configuration.hiddenSize], name: "\(prefix).embed_tokens.weight")
        layers = (0..<configuration.layers).map { LlamaLayer(path: "\(prefix).layers.\($0)", configuration: configuration) }
        norm = Tensor(repeating: 1, shape: [configuration.hiddenSize])
        norm.name = "\(prefix).norm.weight"
        lmHead = LinearLayer(path: "lm_head", outputs: configuration.vocabularySize, inputs: configuration.hiddenSize, bias: false)
    }

    /// The final hidden states `(N, T, C)` (after the last RMSNorm) for input embeddings
    /// `(N, T, C)` at `positions` (`T` shared, or `N·T`), attending to `cache` and the new tokens.
    func hiddenStates(_ embeddings: Tensor, positions: [Int], keyMask: [Bool]?, cache: KVCache?,
                      _ context: ForwardContext) -> Tensor {
        var x = embeddings
        for (index, layer) in layers.enumerated() {
            x = layer(x, positions: positions, keyMask: keyMask, cache: cache, layerIndex: index,
                      configuration: configuration, context)
        }
        return x.rmsNormalized(weight: norm, epsilon: configuration.rmsNormEpsilon)
    }

    /// Logits `(N, T, V)` from final hidden states.
    func logits(_ hidden: Tensor, _ context: ForwardContext) -> Tensor {
        configuration.tieWordEmbeddings ? hidden.linear(weight: embedTokens) : lmHead(hidden, context)
    }

    var linearLayers: [LinearLayer] { layers.flatMap(\.linearLayers) + (configuration.tieWordEmbeddings ? [] : [lmHead]) }

    var parameters: [Tensor] {
        [embedTokens] + layers.flatMap(\.parameters) + [norm] + (configuration.tieWordEmbeddings ? [] : [lmHead.weight])
    }
}

/// One LLaMA decoder layer (HF `LlamaDecoderLayer`).
final class LlamaLayer {
    let inputNorm: Tensor, postAttentionNorm: Tensor
    let query: LinearLayer, key: LinearLayer, value: LinearLayer, output: LinearLayer
    let gate: LinearLayer, up: LinearLayer, down: LinearLayer

    init(path: String, configuration c: LlavaConfiguration.Text) {
        let width = c.hiddenSize, headSize = c.headSize
        inputNorm = Tensor(repeating: 1, shape: [width])
        inputNorm.name = "\(path).input_layernorm.weight"
        postAttentionNorm = Tensor(repeating: 1, shape: [width])
        postAttentionNorm.name = "\(path).post_attention_layernorm.weight"
        query = LinearLayer(path: "\(path).self_attn.q_proj", outputs: c.heads * headSize, inputs: width, bias: c.attentionBias)
        key = LinearLayer(path: "\(path).self_attn.k_proj", outputs: c.keyValueHeads * headSize, inputs: width, bias: c.attentionBias)
        value = LinearLayer(path: "\(path).self_attn.v_proj", outputs: c.keyValueHeads * headSize, inputs: width, bias: c.attentionBias)
        output = LinearLayer(path: "\(path).self_attn.o_proj", outputs: width, inputs: c.heads * headSize, bias: c.attentionBias)
        gate = LinearLayer(path: "\(path).mlp.gate_proj", outputs: c.intermediateSize, inputs: width, bias: c.mlpBias)
        up = LinearLayer(path: "\(path).mlp.up_proj", outputs: c.intermediateSize, inputs: width, bias: c.mlpBias)
        down = LinearLayer(path: "\(path).mlp.down_proj", outputs: width, inputs: c.intermediateSize, bias: c.mlpBias)
    }

    func callAsFunction(_ x: Tensor, positions: [Int], keyMask: [Bool]?, cache: KVCache?, layerIndex: Int,
                        configuration c: LlavaConfiguration.Text, _ context: ForwardContext) -> Tensor {
        let (sequences, tokens) = (x.shape[0], x.shape[1])
        let h = x.rmsNormalized(weight: inputNorm, epsilon: c.rmsNormEpsilon)
        let q = query(h, context).reshaped([sequences, tokens, c.heads, c.headSize])
            .rotaryEmbedded(positions: positions, base: c.ropeTheta).reshaped([sequences, tokens, c.heads * c.headSize])
        var k = key(h, context).reshaped([sequences, tokens, c.keyValueHeads, c.headSize])
            .rotaryEmbedded(positions: positions, base: c.ropeTheta).reshaped([sequences, tokens, c.keyValueHeads * c.headSize])
        var v = value(h, context)
        if let cache {
            (k, v) = cache.appending(keys: k, values: v, layer: layerIndex)
        }
        let attended = q.attention(keys: k, values: v, heads: c.heads, keyValueHeads: c.keyValueHeads,
                                   causal: true, keyMask: keyMask)
        let x = x + output(attended, context)
        let h2 = x.rmsNormalized(weight: postAttentionNorm, epsilon: c.rmsNormEpsilon)
        return x + down(Tensor.swiGLU(gate: gate(h2, context), up: up(h2, context)), context)
    }

    var linearLayers: [LinearLayer] { [query, key, value, output, gate, up, down] }

    var parameters: [Tensor] { [inputNorm] + linearLayers.flatMap(\.parameters) + [postAttentionNorm] }
}
