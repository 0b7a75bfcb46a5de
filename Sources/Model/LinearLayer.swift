import Tensor

/// A linear layer `y = x Wᵀ + b` (PyTorch's `nn.Linear`) that may carry a LoRA adapter:
/// `y = x Wᵀ + b + s · (dropout(x) Aᵀ) Bᵀ` (PEFT's `lora.Linear`).
///
/// `weight`: `(out, in)`; `bias`: `(out)` or nil; `x`: `(…, in)` → `(…, out)`.
public final class LinearLayer {
    /// The module path as PyTorch names it inside `LlavaForConditionalGeneration`
    /// (e.g. `model.language_model.layers.0.self_attn.q_proj`); PEFT matches targets against it.
    public let path: String
    public let weight: Tensor
    public let bias: Tensor?
    /// The LoRA adapter on this layer, if any.
    public internal(set) var adapter: LoRAAdapter?

    init(path: String, outputs: Int, inputs: Int, bias: Bool) {
        self.path = path
        weight = Tensor(zeros: [outputs, inputs], name: path + ".weight")
        self.bias = bias ? Tensor(zeros: [outputs], name: path + ".bias") : nil
    }

    public var inputs: Int { weight.shape[1] }
    public var outputs: Int { weight.shape[0] }

    /// The layer applied to `x (…, in)`.
    public func callAsFunction(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        guard let adapter, !adapter.isMerged else { return x.linear(weight: weight, bias: bias) }
        let dropped = adapter.dropout > 0 && context.isTraining
            ? x.dropout(probability: adapter.dropout, generator: &context.generator) : nil
        // One fused op: three GEMMs, never the (out, in) product.
        return x.linear(weight: weight, bias: bias, lowRankA: adapter.a, lowRankB: adapter.b, scale: adapter.scale,
                        lowRankInput: dropped)
    }
}

/// What a forward pass needs besides its inputs: whether it trains (dropout on) and the generator
/// dropout draws from. A reference, so that layers deep in the model share one generator.
public final class ForwardContext {
    public var isTraining: Bool
    public var generator: SeededGenerator

    public init(isTraining: Bool, generator: SeededGenerator = SeededGenerator(seed: 0)) {
        self.isTraining = isTraining
        self.generator = generator
    }

    /// Evaluation: no dropout.
    public static var inference: ForwardContext { ForwardContext(isTraining: false) }
}
