/// Global-norm gradient clipping, as PyTorch's `clip_grad_norm_`: when the L2 norm `‖g‖` of all
/// gradients together exceeds `maxNorm`, every gradient is scaled by `maxNorm / (‖g‖ + 1e-6)`.
public enum GradientClipping {
    /// Clips in place and returns the total norm before clipping.
    @discardableResult
    public static func clipGlobalNorm(of parameters: [Tensor], to maxNorm: Float) -> Float {
        var squares: Double = 0
        for parameter in parameters {
            guard let gradient = parameter.grad else { continue }
            for value in gradient { squares += Double(value) * Double(value) }
        }
        let norm = Float(squares.squareRoot())
        let coefficient = maxNorm / (norm + 1e-6)
        guard coefficient < 1 else { return norm }
        for parameter in parameters where parameter.grad != nil {
            parameter.withGradient { gradient in
                for i in 0..<gradient.count { gradient[i] *= coefficient }
            }
        }
        return norm
    }
}
