import Foundation

/// Elementwise functions `y = f(x)`, each with its derivative `f'` written from `x` or `y`.
extension Tensor {
    /// Applies `function` to every element; backward multiplies the output gradient by
    /// `derivative(x, y)`.
    @inline(__always)
    func mapped(operation: String, _ function: (Float) -> Float,
                derivative: @escaping (_ x: Float, _ y: Float) -> Float) -> Tensor {
        var y = [Float](repeating: 0, count: count)
        values.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                Parallel.forEachChunk(x.count, chunk: Parallel.elementChunk) { range in
                    // Local copies let the loop vectorise (see swiGLU).
                    let (x, y) = (x, y)
                    for i in range { y[i] = function(x[i]) }
                }
            }
        }
        let output = Tensor(shape: shape, values: y)
        return output.recorded(operation: operation, from: [self]) { [unowned output] dy in
            self.values.withUnsafeBufferPointer { x in
                output.values.withUnsafeBufferPointer { y in
                    dy.withUnsafeBufferPointer { dy in
                        self.withGradient { gradient in
                            Parallel.forEachChunk(gradient.count, chunk: Parallel.elementChunk) { range in
                                let (gradient, dy, x, y) = (gradient, dy, x, y)
                                for i in range { gradient[i] += dy[i] * derivative(x[i], y[i]) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `eˣ`.
    public func exp() -> Tensor {
        mapped(operation: "exp", { FastMath.exp($0) }, derivative: { _, y in y })
    }

    /// Natural logarithm.
    public func log() -> Tensor {
        mapped(operation: "log", { Foundation.log($0) }, derivative: { x, _ in 1 / x })
    }

    /// Square root.
    public func sqrt() -> Tensor {
        mapped(operation: "sqrt", { $0.squareRoot() }, derivative: { _, y in 0.5 / y })
    }

    /// `xᵖ` for a constant exponent `p`.
    public func pow(_ exponent: Float) -> Tensor {
        mapped(operation: "pow", { Foundation.pow($0, exponent) },
               derivative: { x, _ in exponent * Foundation.pow(x, exponent - 1) })
    }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor {
        mapped(operation: "tanh", { FastMath.tanh($0) }, derivative: { _, y in 1 - y * y })
    }

    /// The logistic function `σ(x) = 1 / (1 + e⁻ˣ)`.
    public func sigmoid() -> Tensor {
        mapped(operation: "sigmoid", { FastMath.sigmoid($0) }, derivative: { _, y in y * (1 - y) })
    }

    /// `log σ(x) = −softplus(−x)`, computed without overflow for large |x|; derivative `σ(−x)`.
    public func logSigmoid() -> Tensor {
        mapped(operation: "logsigmoid",
               { x in Swift.min(x, 0) - Foundation.log1p(Foundation.exp(-Swift.abs(x))) },
               derivative: { x, _ in FastMath.sigmoid(-x) })
    }

    /// Limits every element to `[lower, upper]`; the gradient is zero where the bound was applied.
    public func clamped(to range: ClosedRange<Float>) -> Tensor {
        mapped(operation: "clamp", { Swift.min(Swift.max($0, range.lowerBound), range.upperBound) },
               derivative: { x, _ in range.contains(x) ? 1 : 0 })
    }
}
