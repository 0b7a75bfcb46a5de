/// A linear layer plus a low-rank update, fused (LoRA's forward, Hu et al. arXiv 2106.09685):
///
///     y = x Wᵀ + b + s · (x̃ Aᵀ) Bᵀ
///
/// Legend: `rows` the product of leading dimensions, `x (rows, in)`, `W (out, in)`, `b (out)`,
/// `A (r, in)`, `B (out, r)`, `x̃` the input of the low-rank path (`x` itself, or `x` after
/// dropout), `h = x̃ Aᵀ (rows, r)`. Backward: `dh = s · dy B`, `dB += s · dyᵀ h`, `dA += dhᵀ x̃`,
/// `dx̃ += dh A`, and the base layer's `dx += dy W`, `dW += dyᵀ x`, `db += Σ_rows dy`.
///
/// Without dropout (`x̃ = x`) and over enough rows (`rows · (in + out) > out · in`), the update
/// folds into the weight, `W' = W + s · B A (out, in)`: then `y = x W'ᵀ + b` and `dx += dy W'`
/// are one GEMM each, and the `(rows, in)` and `(rows, out)` passes of the low-rank path (`h Bᵀ`
/// into `y`, `dh A` into `dx`) are gone; those skinny products are bound by memory traffic, and
/// `W'` costs a pass over the weight, smaller than them in training (not in a decoding step).
/// `h` is then computed only when `B` is trained. With dropout the three forward GEMMs
/// run as written, the last accumulating into `y` with `alpha = s`. The rank-`r` products run as
/// ``MatMul/skinnyGEMM(_:transposed:_:transposed:into:m:n:k:lda:ldb:ldc:alpha:beta:)`` and
/// ``MatMul/reducingGEMM(_:transposed:_:transposed:into:m:n:k:lda:ldb:alpha:beta:)``, in
/// blocks on all cores.
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
        let lowRankSource = lowRankInput ?? self
        // W' = W + s·B·A when the low-rank path reads x itself and there are enough rows for the
        // passes it saves, (rows, in) and (rows, out), to outweigh the (out, in) one it costs: a
        // decoding step's few rows keep the unmerged products.
        var mergedWeight: [Float]? = nil
        if lowRankInput == nil && rows * (inputs + outputs) > outputs * inputs {
            var merged = weight.values
            b.values.withUnsafeBufferPointer { b in
                a.values.withUnsafeBufferPointer { a in
                    merged.withUnsafeMutableBufferPointer { w in
                        MatMul.skinnyGEMM(b.start, transposed: false, a.start, transposed: false, into: w.start,
                                          m: outputs, n: inputs, k: rank, alpha: scale, beta: 1)
                    }
                }
            }
            mergedWeight = merged
        }
        // The base product, unrecorded: this operation's own backward covers it.
        let base = Autograd.withoutRecording {
            self.linear(weight: mergedWeight.map { Tensor(shape: weight.shape, values: $0) } ?? weight, bias: bias)
        }
        // h (rows, r) = x̃ (rows, in) · Aᵀ: for the forward without a merged weight, for dB.
        let needsH = mergedWeight == nil || (Autograd.isRecording && b.requiresGradient)
        var h = Tensor.uninitializedValues(count: needsH ? rows * rank : 0)
        if needsH {
            lowRankSource.values.withUnsafeBufferPointer { x in
                a.values.withUnsafeBufferPointer { a in
                    h.withUnsafeMutableBufferPointer { h in
                        MatMul.skinnyGEMM(x.start, transposed: false, a.start, transposed: true, into: h.start, m: rows, n: rank, k: inputs)
                    }
                }
            }
        }
        var y = base.values
        base.values = []  // keeps `y` uniquely referenced: the GEMM below writes it in place
        if mergedWeight == nil {
            // y (rows, out) = base + s · h · Bᵀ, accumulated into the base output's own storage.
            h.withUnsafeBufferPointer { h in
                b.values.withUnsafeBufferPointer { b in
                    y.withUnsafeMutableBufferPointer { y in
                        MatMul.skinnyGEMM(h.start, transposed: false, b.start, transposed: true, into: y.start,
                                          m: rows, n: outputs, k: rank, alpha: scale, beta: 1)
                    }
                }
            }
        }
        let output = Tensor(shape: Array(shape.dropLast()) + [outputs], values: y)
        var recordedInputs = [self, weight, a, b]
        if let bias { recordedInputs.append(bias) }
        if let lowRankInput { recordedInputs.append(lowRankInput) }
        return output.recorded(operation: "lora-linear", from: recordedInputs) { dy in
            // dh feeds dA and, unmerged, dx̃.
            let needsDH = a.requiresGradient || (mergedWeight == nil && lowRankSource.requiresGradient)
            var dh = Tensor.uninitializedValues(count: needsDH ? rows * rank : 0)  // written whole (beta 0)
            dy.withUnsafeBufferPointer { dy in
                if needsDH {
                    b.values.withUnsafeBufferPointer { bValues in
                        dh.withUnsafeMutableBufferPointer { dh in
                            // dh (rows, r) = s · dy (rows, out) · B (out, r).
                            MatMul.skinnyGEMM(dy.start, transposed: false, bValues.start, transposed: false, into: dh.start,
                                              m: rows, n: rank, k: outputs, alpha: scale)
                        }
                    }
                }
                if b.requiresGradient {
                    h.withUnsafeBufferPointer { h in
                        // dB (out, r) += s · dyᵀ (out, rows) · h (rows, r).
                        b.withGradient { dB in
                            MatMul.reducingGEMM(dy.start, transposed: true, h.start, transposed: false, into: dB.start,
                                                m: outputs, n: rank, k: rows, alpha: scale, beta: 1)
                        }
                    }
                }
            }
            dh.withUnsafeBufferPointer { dh in
                lowRankSource.values.withUnsafeBufferPointer { x in
                    if a.requiresGradient {
                        // dA (r, in) += dhᵀ (r, rows) · x̃ (rows, in).
                        a.withGradient { dA in
                            MatMul.reducingGEMM(dh.start, transposed: true, x.start, transposed: false, into: dA.start,
                                                m: rank, n: inputs, k: rows, beta: 1)
                        }
                    }
                }
                if mergedWeight == nil && lowRankSource.requiresGradient {
                    // dx̃ (rows, in) += dh (rows, r) · A (r, in).
                    a.values.withUnsafeBufferPointer { aValues in
                        lowRankSource.withGradient { dx in
                            MatMul.skinnyGEMM(dh.start, transposed: false, aValues.start, transposed: false, into: dx.start,
                                              m: rows, n: inputs, k: rank, beta: 1)
                        }
                    }
                }
            }
            // dx += dy · W' (merged, so the low-rank path's dx is in it) or dy · W.
            LinearBackward.accumulate(dy: dy, x: self, weight: weight, bias: bias, rows: rows, inputs: inputs, outputs: outputs,
                                      productWeight: mergedWeight)
        }
    }
}
