import Tensor

/// CLIP's vision transformer (HF `CLIPVisionTransformer`), up to the hidden state LLaVA reads.
///
/// Legend: `N` images, `P` patches per image (`(image/patch)²`), `Cv` the tower's width,
/// `p` the patch size. Patch embedding is a stride-`p` convolution without bias, computed as one
/// GEMM over unfolded patches: `(N·P, 3·p·p) · Wᵀ`, `W (Cv, 3, p, p)` seen as `(Cv, 3·p·p)`.
/// Then the class embedding is prepended, learned position embeddings `(P+1, Cv)` added, the
/// pre-layernorm applied (hidden state 0), and encoder layers run (each a pre-norm block:
/// LayerNorm → attention with biases → residual → LayerNorm → fc1 → activation → fc2 → residual).
public final class CLIPVisionTower {
    let configuration: LlavaConfiguration.Vision
    /// `(Cv)`.
    let classEmbedding: Tensor
    /// `(Cv, 3, p, p)`.
    let patchEmbedding: Tensor
    /// `(P + 1, Cv)`.
    let positionEmbedding: Tensor
    let preLayerNorm: LayerNormParameters
    let layers: [CLIPEncoderLayer]
    /// Applied to the pooled class token only; LLaVA never reads it, but checkpoints carry it.
    let postLayerNorm: LayerNormParameters

    init(_ configuration: LlavaConfiguration.Vision) {
        self.configuration = configuration
        let prefix = CheckpointNames.visionTower
        let width = configuration.hiddenSize, p = configuration.patchSize
        classEmbedding = Tensor(zeros: [width], name: "\(prefix).embeddings.class_embedding")
        patchEmbedding = Tensor(zeros: [width, configuration.channels, p, p], name: "\(prefix).embeddings.patch_embedding.weight")
        positionEmbedding = Tensor(zeros: [configuration.patchCount + 1, width], name: "\(prefix).embeddings.position_embedding.weight")
        preLayerNorm = LayerNormParameters(path: "\(prefix).pre_layrnorm", width: width)
        layers = (0..<configuration.layers).map { CLIPEncoderLayer(path: "\(prefix).encoder.layers.\($0)", configuration: configuration) }
        postLayerNorm = LayerNormParameters(path: "\(prefix).post_layernorm", width: width)
    }

    /// Hidden state `layerCount` of the tower (0: embeddings after the pre-norm; `k`: after `k`
    /// encoder layers) for `pixels (N, 3, H, W)`: `(N, P + 1, Cv)`.
    func hiddenState(afterLayers layerCount: Int, pixels: Tensor, _ context: ForwardContext) -> Tensor {
        let c = configuration
        precondition(pixels.shape == [pixels.shape.first ?? 0, c.channels, c.imageSize, c.imageSize],
                     "vision tower: pixels \(pixels.shape), expected (N, \(c.channels), \(c.imageSize), \(c.imageSize))")
        let images = pixels.shape[0], patches = c.patchCount, width = c.hiddenSize
        let unfolded = Tensor(shape: [images * patches, c.channels * c.patchSize * c.patchSize],
                              values: Self.unfoldPatches(pixels.values, images: images, channels: c.channels,
                                                         side: c.imageSize, patch: c.patchSize))
        let patchFeatures = unfolded.linear(weight: patchEmbedding.reshaped([width, -1])).reshaped([images, patches, width])
        let classTokens = Tensor(zeros: [images, 1, width]) + classEmbedding.reshaped([1, 1, width])
        var x = Tensor.concatenated([classTokens, patchFeatures], alongAxis: 1) + positionEmbedding
        x = preLayerNorm(x, epsilon: c.layerNormEpsilon)
        for layer in layers.prefix(layerCount) {
            x = layer(x, configuration: c, context)
        }
        return x
    }

    /// Rearranges `(N, C, H, W)` pixels into rows of patches `(N·P, C·p·p)`, each row in the
    /// `(C, p, p)` order of the convolution kernel, patches in row-major order over the image.
    static func unfoldPatches(_ pixels: [Float], images: Int, channels: Int, side: Int, patch: Int) -> [Float] {
        let perSide = side / patch, rowWidth = channels * patch * patch
        var result = [Float](repeating: 0, count: images * perSide * perSide * rowWidth)
        for image in 0..<images {
            for py in 0..<perSide {
                for px in 0..<perSide {
                    let row = ((image * perSide + py) * perSide + px) * rowWidth
                    for channel in 0..<channels {
                        for dy in 0..<patch {
                            let source = ((image * channels + channel) * side + py * patch + dy) * side + px * patch
                            let target = row + (channel * patch + dy) * patch
                            for dx in 0..<patch { result[target + dx] = pixels[source + dx] }
                        }
                    }
                }
            }
        }
        return result
    }

    var parameters: [Tensor] {
        [classEmbedding, patchEmbedding, positionEmbedding] + preLayerNorm.parameters
            + layers.flatMap(\.parameters) + postLayerNorm.parameters
    }

    var linearLayers: [LinearLayer] { layers.flatMap(\.linearLayers) }
}

/// One CLIP encoder layer (HF `CLIPEncoderLayer`).
final class CLIPEncoderLayer {
    let layerNorm1: LayerNormParameters, layerNorm2: LayerNormParameters
    let query: LinearLayer, key: LinearLayer, value: LinearLayer, output: LinearLayer
    let fc1: LinearLayer, fc2: LinearLayer

    init(path: String, configuration c: LlavaConfiguration.Vision) {
        let width = c.hiddenSize
        layerNorm1 = LayerNormParameters(path: "\(path).layer_norm1", width: width)
        layerNorm2 = LayerNormParameters(path: "\(path).layer_norm2", width: width)
        query = LinearLayer(path: "\(path).self_attn.q_proj", outputs: width, inputs: width, bias: true)
        key = LinearLayer(path: "\(path).self_attn.k_proj", outputs: width, inputs: width, bias: true)
        value = LinearLayer(path: "\(path).self_attn.v_proj", outputs: width, inputs: width, bias: true)
        output = LinearLayer(path: "\(path).self_attn.out_proj", outputs: width, inputs: width, bias: true)
        fc1 = LinearLayer(path: "\(path).mlp.fc1", outputs: c.intermediateSize, inputs: width, bias: true)
        fc2 = LinearLayer(path: "\(path).mlp.fc2", outputs: width, inputs: c.intermediateSize, bias: true)
    }

    /// `x (N, T, Cv)` → `(N, T, Cv)`.
    func callAsFunction(_ x: Tensor, configuration c: LlavaConfiguration.Vision, _ context: ForwardContext) -> Tensor {
        let h = layerNorm1(x, epsilon: c.layerNormEpsilon)
        let attended = query(h, context).attention(keys: key(h, context), values: value(h, context),
                                                   heads: c.heads, keyValueHeads: c.heads, causal: false)
        let x = x + output(attended, context)
        let h2 = layerNorm2(x, epsilon: c.layerNormEpsilon)
        return x + fc2(fc1(h2, context).activated(c.activation), context)
    }

    var linearLayers: [LinearLayer] { [query, key, value, output, fc1, fc2] }

    var parameters: [Tensor] {
        layerNorm1.parameters + linearLayers.flatMap(\.parameters) + layerNorm2.parameters
    }
}

/// The weight and bias of a LayerNorm at a module path.
struct LayerNormParameters {
    let weight: Tensor, bias: Tensor

    init(path: String, width: Int) {
        weight = Tensor(repeating: 1, shape: [width])
        weight.name = path + ".weight"
        bias = Tensor(zeros: [width], name: path + ".bias")
    }

    func callAsFunction(_ x: Tensor, epsilon: Float) -> Tensor {
        x.layerNormalized(weight: weight, bias: bias, epsilon: epsilon)
    }

    var parameters: [Tensor] { [weight, bias] }
}

extension LinearLayer {
    /// The base parameters (weight, and bias when present).
    var parameters: [Tensor] { [weight] + (bias.map { [$0] } ?? []) }
}
