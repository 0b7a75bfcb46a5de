/// AdamW (Loshchilov & Hutter, arXiv 1711.05101) exactly as PyTorch's `torch.optim.AdamW`:
///
///     θ ← θ − lr·λ·θ                       (decoupled weight decay)
///     m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²
///     θ ← θ − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
///
/// Parameters without a gradient in a step are left alone (their moments too). State (step count,
/// moments) is saved and restored by name with ``state`` and ``restore(_:)``.
public final class AdamW {
    public let parameters: [Tensor]
    public var betas: (Float, Float)
    public var epsilon: Float
    public var weightDecay: Float
    /// The number of steps taken (`t`).
    public private(set) var step = 0
    private var moments: [[Float]]
    private var squaredMoments: [[Float]]

    /// - Parameters: the trainable tensors (named, for saving state), and PyTorch's defaults.
    public init(parameters: [Tensor], betas: (Float, Float) = (0.9, 0.999), epsilon: Float = 1e-8,
                weightDecay: Float = 0.01) {
        self.parameters = parameters
        self.betas = betas
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        moments = parameters.map { [Float](repeating: 0, count: $0.count) }
        squaredMoments = moments
    }

    /// One update of every parameter that has a gradient, at learning rate `learningRate`.
    public func update(learningRate: Float) {
        step += 1
        let correction1 = 1 - Float.pow(betas.0, step), correction2 = 1 - Float.pow(betas.1, step)
        let (beta1, beta2) = betas
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.grad else { continue }
            let decay = 1 - learningRate * weightDecay
            parameter.values.withUnsafeMutableBufferPointer { theta in
                moments[index].withUnsafeMutableBufferPointer { m in
                    squaredMoments[index].withUnsafeMutableBufferPointer { v in
                        gradient.withUnsafeBufferPointer { g in
                            for i in 0..<theta.count {
                                theta[i] *= decay
                                m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                                let denominator = (v[i] / correction2).squareRoot() + epsilon
                                theta[i] -= learningRate * (m[i] / correction1) / denominator
                            }
                        }
                    }
                }
            }
        }
    }

    /// The optimizer's state as named tensors (`NAME.exp_avg`, `NAME.exp_avg_sq`, PyTorch's names)
    /// and the step count.
    public var state: OptimizerState {
        var tensors: [String: [Float]] = [:]
        for (index, parameter) in parameters.enumerated() {
            let name = parameter.name ?? "parameter.\(index)"
            tensors[name + ".exp_avg"] = moments[index]
            tensors[name + ".exp_avg_sq"] = squaredMoments[index]
        }
        return OptimizerState(step: step, tensors: tensors)
    }

    /// Continues from a saved state; on an error nothing is changed.
    /// - Throws: ``OptimizerState/Error`` when a moment is missing or has the wrong size.
    public func restore(_ saved: OptimizerState) throws {
        let restored = try parameters.enumerated().map { index, parameter in
            let name = parameter.name ?? "parameter.\(index)"
            return (first: try saved.tensor(name + ".exp_avg", count: parameter.count),
                    second: try saved.tensor(name + ".exp_avg_sq", count: parameter.count))
        }
        moments = restored.map(\.first)
        squaredMoments = restored.map(\.second)
        step = saved.step
    }
}

extension Float {
    static func pow(_ base: Float, _ exponent: Int) -> Float {
        var result: Float = 1
        for _ in 0..<exponent { result *= base }
        return result
    }
}
