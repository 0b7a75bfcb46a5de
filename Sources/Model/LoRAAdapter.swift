import Foundation
import Tensor

/// The LoRA factors of one linear layer (Hu et al., arXiv 2106.09685, as PEFT implements them):
/// `A (r, in)` Kaiming-uniform, `B (out, r)` zero, scale `s = α/r` (rsLoRA: `α/√r`), so training
/// starts at the base model. Names are PEFT's: `<path>.lora_A.weight`, `<path>.lora_B.weight`.
public final class LoRAAdapter {
    /// `(r, in)`.
    public let a: Tensor
    /// `(out, r)`.
    public let b: Tensor
    public let scale: Float
    public let dropout: Float
    /// Whether `s·B·A` is currently added into the base weight (then the forward skips the adapter).
    public internal(set) var isMerged = false

    init(layer: LinearLayer, rank: Int, scale: Float, dropout: Float, generator: inout SeededGenerator) {
        a = Tensor(shape: [rank, layer.inputs], values: Self.initialA(inputs: layer.inputs, rank: rank, generator: &generator),
                   requiresGradient: true, name: CheckpointNames.loraA(layer.path))
        b = Tensor(zeros: [layer.outputs, rank], requiresGradient: true, name: CheckpointNames.loraB(layer.path))
        self.scale = scale
        self.dropout = dropout
    }

    /// PEFT's initial A, `(rank, inputs)` row-major: kaiming_uniform_(A, a=√5) ⇒ bound =
    /// gain·√(3/fan_in) with gain = √(2/(1+5)) ⇒ 1/√inputs.
    static func initialA(inputs: Int, rank: Int, generator: inout SeededGenerator) -> [Float] {
        let bound = 1 / Float(inputs).squareRoot()
        return (0..<(rank * inputs)).map { _ in (generator.uniform() * 2 - 1) * bound }
    }

    public var rank: Int { a.shape[0] }

    /// `W ← W ± s·B·A` for merging into (`sign` 1) or out of (`sign` −1) `layer`'s weight.
    func addProduct(into layer: LinearLayer, sign: Float) {
        Autograd.withoutRecording {
            let product = b.matmul(a) * (sign * scale)
            for i in 0..<layer.weight.count { layer.weight.values[i] += product.values[i] }
        }
    }
}
