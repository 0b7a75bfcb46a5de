/// Stochastic gradient descent with momentum, as PyTorch's `torch.optim.SGD` (dampening 0,
/// not Nesterov): `g ← g + λθ`; `b ← μ b + g` (`b = g` on the first step); `θ ← θ − lr · b`.
public final class SGD {
    public let parameters: [Tensor]
    public var momentum: Float
    public var weightDecay: Float
    public private(set) var step = 0
    private var buffers: [[Float]]

    public init(parameters: [Tensor], momentum: Float = 0, weightDecay: Float = 0) {
        self.parameters = parameters
        self.momentum = momentum
        self.weightDecay = weightDecay
        buffers = parameters.map { [Float](repeating: 0, count: $0.count) }
    }

    /// One update of every parameter that has a gradient.
    public func update(learningRate: Float) {
        step += 1
        for (index, parameter) in parameters.enumerated() {
            guard let gradient = parameter.grad else { continue }
            let first = step == 1
            parameter.values.withUnsafeMutableBufferPointer { theta in
                buffers[index].withUnsafeMutableBufferPointer { b in
                    for i in 0..<theta.count {
                        let g = gradient[i] + weightDecay * theta[i]
                        b[i] = first ? g : momentum * b[i] + g
                        theta[i] -= learningRate * (momentum == 0 ? g : b[i])
                    }
                }
            }
        }
    }

    /// The momentum buffers (`NAME.momentum_buffer`) and step count.
    public var state: OptimizerState {
        var tensors: [String: [Float]] = [:]
        for (index, parameter) in parameters.enumerated() {
            tensors[(parameter.name ?? "parameter.\(index)") + ".momentum_buffer"] = buffers[index]
        }
        return OptimizerState(step: step, tensors: tensors)
    }

    /// Continues from a saved state; on an error nothing is changed.
    public func restore(_ saved: OptimizerState) throws {
        buffers = try parameters.enumerated().map { index, parameter in
            try saved.tensor((parameter.name ?? "parameter.\(index)") + ".momentum_buffer", count: parameter.count)
        }
        step = saved.step
    }
}
