/// A linear layer plus a low-rank update, fused (LoRA's forward, Hu et al. arXiv 2106.09685):
///
///     y = x Wᵀ + b + s · (x̃ Aᵀ) Bᵀ
///
/// Legend: `rows` the product of leading dimensions, `x (rows, in)`, `W (out, in)`, `b (out)`,
/// `A (r, in)`, `B (out, r)`, `x̃` the input of the low-rank path (`x` itself, or `x` after
/// dropout). Three GEMMs forward, the last accumulating into `y` with `alpha = s`, so neither the
/// `(rows, out)` update nor its scaled copy is ever materialised. Forward caches `h = x̃ Aᵀ (rows, r)`.
/// Backward: `dh = s · dy B`, `dB += s · dyᵀ h`, `dA += dhᵀ x̃`, `dx̃ += dh A`, and the base layer's
/// `dx += dy W`, `dW += dyᵀ x`, `db += Σ_rows dy`.
public enum LowRankLinear {}

extension Tensor {
    /// `x Wᵀ + b + scale · (lowRankInput Aᵀ) Bᵀ` (see ``LowRankLinear``).
    /// - Parameter lowRankInput: the low-rank path's input when it differs from `self` (dropout).
    public func linear(weight: Tensor, bias: Tensor?, lowRankA a: Tensor, lowRankB b: Tensor, scale: Float,
                       lowRankInput: Tensor? = nil) -> Tensor {
        let inputs = shape.last ?? 0, outputs = weight.shape[0], rank = a.shape[0]
        precondition(weight.shape == [outputs, inputs] && a.shape == [rank, inputs] && b.shape == [outputs, rank]
                     && (lowRankInput == nil || lowRankInput?.shape == shape),
                     "low-rank linear: x \(shape), W \(weight.shape), A \(a.shape), B \(b.shape)")
        let rows = count / Swift.max(inputs, 1)
        // The base product, unrecorded: this operation's own backward covers it.
        let base = Autograd.withoutRecording { self.linear(weight: weight, bias: bias) }
        let lowRankSource = lowRankInput ?? self
        // h (rows, r) = x̃ (rows, in) · Aᵀ.
        var h = Tensor.uninitializedValues(count: rows * rank)
        lowRankSource.values.withUnsafeBufferPointer { x in
            a.values.withUnsafeBufferPointer { a in
                h.withUnsafeMutableBufferPointer { h in
                    MatMul.gemm(x.start, transposed: false, a.start, transposed: true, into: h.start, m: rows, n: rank, k: inputs)
                }
            }
        }
        // y (rows, out) = base + s · h · Bᵀ, accumulated into the base output's own storage.
        var y = base.values
        base.values = []  // keeps `y` uniquely referenced: the GEMM below writes it in place
        h.withUnsafeBufferPointer { h in
            b.values.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { y in
                    MatMul.gemm(h.start, transposed: false, b.start, transposed: true, into: y.start,
                                m: rows, n: outputs, k: rank, alpha: scale, beta: 1)
                }
            }
        }
        let output = Tensor(shape: Array(shape.dropLast()) + [outputs], values: y)
        var recordedInputs = [self, weight, a, b]
        if let bias { recordedInputs.append(bias) }
        if let lowRankInput { recordedInputs.append(lowRankInput) }
        return output.recorded(operation: "lora-linear", from: recordedInputs) { dy in
            var dh = Tensor.uninitializedValues(count: rows * rank)  // the first GEMM writes it whole (beta 0)
            dy.withUnsafeBufferPointer { dy in
                h.withUnsafeBufferPointer { h in
                    dh.withUnsafeMutableBufferPointer { dh in
                        b.values.withUnsafeBufferPointer { bValues in
                            // dh (rows, r) = s · dy (rows, out) · B (out, r).
                            MatMul.gemm(dy.start, transposed: false, bValues.start, transposed: false, into: dh.start,
                                        m: rows, n: rank, k: outputs, alpha: scale)
                        }
                        if b.requiresGradient {
                            // dB (out, r) += s · dyᵀ (out, rows) · h (rows, r).
                            b.withGradient { dB in
                                MatMul.gemm(dy.start, transposed: true, h.start, transposed: false, into: dB.start,
                                            m: outputs, n: rank, k: rows, alpha: scale, beta: 1)
                            }
                        }
                    }
                }
            }
            dh.withUnsafeBufferPointer { dh in
                lowRankSource.values.withUnsafeBufferPointer { x in
                    if a.requiresGradient {
                        // dA (r, in) += dhᵀ (r, rows) · x̃ (rows, in).
                        a.withGradient { dA in
                            MatMul.gemm(dh.start, transposed: true, x.start, transposed: false, into: dA.start,
                                        m: rank, n: inputs, k: rows, beta: 1)
                        }
                    }
                }
                if lowRankSource.requiresGradient {
                    // dx̃ (rows, in) += dh (rows, r) · A (r, in).
                    a.values.withUnsafeBufferPointer { aValues in
                        lowRankSource.withGradient { dx in
                            MatMul.gemm(dh.start, transposed: false, aValues.start, transposed: false, into: dx.start,
                                        m: rows, n: inputs, k: rank, beta: 1)
                        }
                    }
                }
            }
            LinearBackward.accumulate(dy: dy, x: self, weight: weight, bias: bias, rows: rows, inputs: inputs, outputs: outputs)
        }
    }
}
