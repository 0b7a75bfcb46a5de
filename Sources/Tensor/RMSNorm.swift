/// Root-mean-square normalisation over the last dimension (LLaMA's `LlamaRMSNorm`).
///
/// Legend: rows of `C`. `y = w ⊙ x · rstd`, `rstd = 1/√(mean(x²) + ε)`. Forward caches
/// `rstd (rows)`. Backward, with `n = x · rstd` and `g = dy ⊙ w`:
/// `dx = rstd · (g − n · mean(g ⊙ n))`, `dw += Σ_rows dy ⊙ n`.
public enum RMSNorm {}

extension Tensor {
    /// RMS normalisation of the last dimension with weight `(C)`.
    public func rmsNormalized(weight: Tensor, epsilon: Float) -> Tensor {
        let width = shape.last ?? 1, rows = count / Swift.max(width, 1)
        precondition(weight.shape == [width], "RMS norm: weight \(weight.shape) for rows of \(width)")
        var y = [Float](repeating: 0, count: count)
        var rstds = [Float](repeating: 0, count: rows)
        values.withUnsafeBufferPointer { x in
            weight.values.withUnsafeBufferPointer { w in
                for row in 0..<rows {
                    let base = row * width
                    let squares = FastMath.dot(x.start + base, x.start + base, count: width)
                    let rstd = 1 / (squares / Float(width) + epsilon).squareRoot()
                    for i in 0..<width { y[base + i] = w[i] * (x[base + i] * rstd) }
                    rstds[row] = rstd
                }
            }
        }
        return Tensor(shape: shape, values: y).recorded(operation: "rmsnorm", from: [self, weight]) { dy in
            var dx = [Float](repeating: 0, count: self.count)
            var dw = [Float](repeating: 0, count: width)
            self.values.withUnsafeBufferPointer { x in
                weight.values.withUnsafeBufferPointer { w in
                    dy.withUnsafeBufferPointer { dy in
                        dx.withUnsafeMutableBufferPointer { dx in
                            dw.withUnsafeMutableBufferPointer { dw in
                                for row in 0..<rows {
                                    let base = row * width, rstd = rstds[row]
                                    var meanGN: Float = 0
                                    for i in 0..<width {
                                        let n = x[base + i] * rstd
                                        meanGN += dy[base + i] * w[i] * n
                                        dw[i] += dy[base + i] * n
                                    }
                                    meanGN /= Float(width)
                                    for i in 0..<width {
                                        dx[base + i] = rstd * (dy[base + i] * w[i] - x[base + i] * rstd * meanGN)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if self.requiresGradient { self.accumulateGradient(dx) }
            if weight.requiresGradient { weight.accumulateGradient(dw) }
        }
    }
}
