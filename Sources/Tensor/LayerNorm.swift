/// Layer normalisation over the last dimension (PyTorch's `nn.LayerNorm`, CLIP's norms).
///
/// Legend: rows of `C`. `y = (x − μ) · rstd · w + b`, `rstd = 1/√(σ² + ε)` (biased variance).
/// Forward caches `μ (rows)` and `rstd (rows)`. Backward (llm.c's `layernorm_backward`), with
/// `n = (x − μ)·rstd` and `g = dy ⊙ w`: `dx = rstd · (g − mean(g) − n · mean(g ⊙ n))`,
/// `dw += Σ_rows dy ⊙ n`, `db += Σ_rows dy`.
public enum LayerNorm {}

extension Tensor {
    /// Layer normalisation of the last dimension with weight and bias `(C)`.
    public func layerNormalized(weight: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
        let width = shape.last ?? 1, rows = count / Swift.max(width, 1)
        precondition(weight.shape == [width] && bias.shape == [width],
                     "layer norm: weight \(weight.shape), bias \(bias.shape) for rows of \(width)")
        var y = Tensor.uninitializedValues(count: count)
        var means = Tensor.uninitializedValues(count: rows), rstds = Tensor.uninitializedValues(count: rows)
        values.withUnsafeBufferPointer { x in
            weight.values.withUnsafeBufferPointer { w in
                bias.values.withUnsafeBufferPointer { b in
                    y.withUnsafeMutableBufferPointer { y in
                        means.withUnsafeMutableBufferPointer { means in
                            rstds.withUnsafeMutableBufferPointer { rstds in
                                // Rows in fixed chunks over the cores; the row's centred values go
                                // into y first, so mean and variance are vectorised sums.
                                Parallel.forEachChunk(rows, chunk: Swift.max(1, Parallel.elementChunk / Swift.max(width, 1))) { chunk in
                                    let (y, means, rstds) = (y, means, rstds)
                                    for row in chunk {
                                        // Row pointers: overflow-checked `base + i` indices keep a loop scalar.
                                        let xRow = x.start + row * width, yRow = y.start + row * width
                                        let mean = FastMath.sum(xRow, count: width) / Float(width)
                                        for i in 0..<width { yRow[i] = xRow[i] - mean }
                                        let variance = FastMath.dot(yRow, yRow, count: width) / Float(width)
                                        let rstd = 1 / (variance + epsilon).squareRoot()
                                        for i in 0..<width { yRow[i] = yRow[i] * rstd * w[i] + b[i] }
                                        means[row] = mean
                                        rstds[row] = rstd
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, values: y).recorded(operation: "layernorm", from: [self, weight, bias]) { dy in
            let x = self.values, w = weight.values
            var dx = [Float](repeating: 0, count: x.count)
            var dw = [Float](repeating: 0, count: width), db = [Float](repeating: 0, count: width)
            for row in 0..<rows {
                let base = row * width
                var meanG: Float = 0, meanGN: Float = 0
                for i in 0..<width {
                    let n = (x[base + i] - means[row]) * rstds[row]
                    let g = dy[base + i] * w[i]
                    meanG += g
                    meanGN += g * n
                    dw[i] += dy[base + i] * n
                    db[i] += dy[base + i]
                }
                meanG /= Float(width)
                meanGN /= Float(width)
                for i in 0..<width {
                    let n = (x[base + i] - means[row]) * rstds[row]
                    dx[base + i] = rstds[row] * (dy[base + i] * w[i] - meanG - n * meanGN)
                }
            }
            if self.requiresGradient { self.accumulateGradient(dx) }
            if weight.requiresGradient { weight.accumulateGradient(dw) }
            if bias.requiresGradient { bias.accumulateGradient(db) }
        }
    }
}
