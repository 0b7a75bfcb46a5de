/// Root-mean-square normalisation over the last dimension (LLaMA's `LlamaRMSNorm`).
///
/// Legend: rows of `C`. `y = w ⊙ x · rstd`, `rstd = 1/√(mean(x²) + ε)`. Forward caches
/// `rstd (rows)`. Backward, with `n = x · rstd` and `g = dy ⊙ w`:
/// `dx = rstd · (g − n · mean(g ⊙ n))`, `dw += Σ_rows dy ⊙ n`.
///
/// Rows go to both cores in fixed chunks of ``rowChunk``; `dw` is summed per chunk and the chunk
/// sums are added in chunk order, so the bits do not depend on the number of threads.
public enum RMSNorm {
    /// Rows per chunk: 2,048 elements or more per chunk at the presets' widths.
    static let rowChunk = 16
}

extension Tensor {
    /// RMS normalisation of the last dimension with weight `(C)`.
    public func rmsNormalized(weight: Tensor, epsilon: Float) -> Tensor {
        let width = shape.last ?? 1, rows = count / Swift.max(width, 1)
        precondition(weight.shape == [width], "RMS norm: weight \(weight.shape) for rows of \(width)")
        var y = Tensor.uninitializedValues(count: count)
        var rstds = Tensor.uninitializedValues(count: rows)
        values.withUnsafeBufferPointer { x in
            weight.values.withUnsafeBufferPointer { w in
                y.withUnsafeMutableBufferPointer { y in
                    rstds.withUnsafeMutableBufferPointer { rstds in
                        Parallel.forEachChunk(rows, chunk: RMSNorm.rowChunk) { chunk in
                            let (x, w, y, rstds) = (x, w, y, rstds)
                            for row in chunk {
                                // Row pointers: overflow-checked `base + i` indices keep a loop scalar.
                                let xRow = x.start + row * width, yRow = y.start + row * width
                                let squares = FastMath.dot(xRow, xRow, count: width)
                                let rstd = 1 / (squares / Float(width) + epsilon).squareRoot()
                                for i in 0..<width { yRow[i] = w[i] * (xRow[i] * rstd) }
                                rstds[row] = rstd
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, values: y).recorded(operation: "rmsnorm", from: [self, weight]) { dy in
            // The weight is frozen under LoRA: its gradient is then skipped.
            let wantsDW = weight.requiresGradient
            let chunks = (rows + RMSNorm.rowChunk - 1) / RMSNorm.rowChunk
            var dx = Tensor.uninitializedValues(count: self.count)
            var partialDW = [Float](repeating: 0, count: wantsDW ? chunks * width : 0)
            self.values.withUnsafeBufferPointer { x in
                weight.values.withUnsafeBufferPointer { w in
                    dy.withUnsafeBufferPointer { dy in
                        rstds.withUnsafeBufferPointer { rstds in
                            dx.withUnsafeMutableBufferPointer { dx in
                                partialDW.withUnsafeMutableBufferPointer { partialDW in
                                    Parallel.forEachChunk(rows, chunk: RMSNorm.rowChunk) { chunk in
                                        let (x, w, dy, rstds, dx) = (x, w, dy, rstds, dx)
                                        let dw = wantsDW ? partialDW.start + (chunk.lowerBound / RMSNorm.rowChunk) * width : nil
                                        for row in chunk {
                                            let rstd = rstds[row]
                                            let xRow = x.start + row * width, dyRow = dy.start + row * width
                                            let dxRow = dx.start + row * width
                                            // g = dy ⊙ w goes into dx's row first, so that mean(g ⊙ n) is
                                            // a vectorised dot (a scalar sum chains every element).
                                            for i in 0..<width { dxRow[i] = dyRow[i] * w[i] }
                                            let meanGN = FastMath.dot(dxRow, xRow, count: width) * rstd / Float(width)
                                            if let dw {
                                                for i in 0..<width { dw[i] += dyRow[i] * xRow[i] * rstd }
                                            }
                                            for i in 0..<width { dxRow[i] = rstd * (dxRow[i] - xRow[i] * rstd * meanGN) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if self.requiresGradient { self.accumulateGradient(dx) }
            if wantsDW {
                var dw = [Float](repeating: 0, count: width)
                for chunk in 0..<chunks {
                    for i in 0..<width { dw[i] += partialDW[chunk * width + i] }
                }
                weight.accumulateGradient(dw)
            }
        }
    }
}
