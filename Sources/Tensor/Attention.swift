import Foundation

/// Scaled dot-product attention with causal and key-padding masks and grouped KV heads, fused:
/// per sequence and head, scores, masked softmax and the weighted sum are computed in place, with
/// the GEMMs through cblas on strided views of the projections (no permute copies, no mask tensors).
///
/// Legend: `N` sequences, `T` query tokens, `S` key tokens, `H` query heads, `Hkv` key/value heads
/// (`H` a multiple of `Hkv`; query head `h` reads KV head `h / (H/Hkv)`), `D` head size.
/// `q (N, T, H·D)`, `k, v (N, S, Hkv·D)`, output `(N, T, H·D)` — rows as `linear` produces them.
/// `P = softmax(Q Kᵀ / √D + mask)` per `(n, h)`, `O = P V`. Causal: query `t` sees keys
/// `s ≤ t + S − T` (so a KV cache of earlier tokens works). Key padding: `keyMask[n·S + s]`
/// false hides key `s`. A query that sees no key outputs zeros.
/// Forward caches `P (N, H, T, S)`. Backward per `(n, h)`:
/// `dV += Pᵀ dO`, `dP = dO Vᵀ`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`, `dQ += dS K / √D`, `dK += dSᵀ Q / √D`.
public enum Attention {
    /// The sizes of one attention call.
    struct Geometry {
        let sequences: Int, queries: Int, keys: Int, heads: Int, keyValueHeads: Int, headSize: Int
        var queryWidth: Int { heads * headSize }
        var keyValueWidth: Int { keyValueHeads * headSize }
        var group: Int { heads / keyValueHeads }
    }
}

extension Tensor {
    /// Multi-head scaled dot-product attention (see ``Attention``).
    /// - Parameters:
    ///   - keys: `(N, S, Hkv·D)`; values the same shape.
    ///   - heads: `H`; `keyValueHeads`: `Hkv`.
    ///   - causal: whether query `t` is limited to keys up to its own position.
    ///   - keyMask: `N·S` flags, false for padding keys; nil when every key is real.
    public func attention(keys: Tensor, values: Tensor, heads: Int, keyValueHeads: Int,
                          causal: Bool, keyMask: [Bool]? = nil) -> Tensor {
        precondition(rank == 3 && keys.rank == 3 && keys.shape == values.shape
                     && keys.shape[0] == shape[0] && heads % keyValueHeads == 0 && shape[2] % heads == 0,
                     "attention: queries \(shape), keys \(keys.shape), values \(values.shape), \(heads)/\(keyValueHeads) heads")
        let geometry = Attention.Geometry(sequences: shape[0], queries: shape[1], keys: keys.shape[1], heads: heads,
                                          keyValueHeads: keyValueHeads, headSize: shape[2] / heads)
        precondition(keys.shape[2] == geometry.keyValueWidth, "attention: keys \(keys.shape) for \(keyValueHeads) KV heads of \(geometry.headSize)")
        precondition(keyMask == nil || keyMask?.count == geometry.sequences * geometry.keys,
                     "attention: key mask of \(keyMask?.count ?? 0) for \(geometry.sequences)×\(geometry.keys) keys")
        let g = geometry
        let scale = 1 / Float(g.headSize).squareRoot()
        var probabilities = Tensor.uninitializedValues(count: g.sequences * g.heads * g.queries * g.keys)
        var output = Tensor.uninitializedValues(count: g.sequences * g.queries * g.queryWidth)
        let keyBias = keyMask?.map { $0 ? 0 : -Float.infinity } ?? []
        let keyKeep = keyMask?.map { $0 ? Float(1) : 0 } ?? []
        self.values.withUnsafeBufferPointer { q in
            keys.values.withUnsafeBufferPointer { k in
                values.values.withUnsafeBufferPointer { v in
                    probabilities.withUnsafeMutableBufferPointer { p in
                        output.withUnsafeMutableBufferPointer { o in
                            // Three phases: the score GEMMs, the softmax rows split over the
                            // cores (no BLAS inside), the value GEMMs (on BLAS's own threads).
                            for n in 0..<g.sequences {
                                for h in 0..<g.heads {
                                    let qBase = q.start + n * g.queries * g.queryWidth + h * g.headSize
                                    let kBase = k.start + n * g.keys * g.keyValueWidth + (h / g.group) * g.headSize
                                    // Scores (T, S) = Q_h (T, D) · K_hᵀ (D, S), strided rows.
                                    MatMul.gemm(qBase, transposed: false, kBase, transposed: true,
                                                into: p.start + (n * g.heads + h) * g.queries * g.keys,
                                                m: g.queries, n: g.keys, k: g.headSize,
                                                lda: g.queryWidth, ldb: g.keyValueWidth, ldc: g.keys)
                                }
                            }
                            keyBias.withUnsafeBufferPointer { keyBias in
                                keyKeep.withUnsafeBufferPointer { keyKeep in
                                    Parallel.forEach(g.sequences * g.heads) { index in
                                        let (p, keyBias, keyKeep) = (p, keyBias, keyKeep)
                                        Attention.maskedSoftmax(p.start + index * g.queries * g.keys, geometry: g, sequence: index / g.heads,
                                                                scale: scale, causal: causal,
                                                                keyBias: keyMask == nil ? nil : keyBias.baseAddress,
                                                                keyKeep: keyMask == nil ? nil : keyKeep.baseAddress)
                                    }
                                }
                            }
                            for n in 0..<g.sequences {
                                for h in 0..<g.heads {
                                    let vBase = v.start + n * g.keys * g.keyValueWidth + (h / g.group) * g.headSize
                                    // O_h (T, D) = P (T, S) · V_h (S, D).
                                    MatMul.gemm(p.start + (n * g.heads + h) * g.queries * g.keys, transposed: false, vBase, transposed: false,
                                                into: o.start + n * g.queries * g.queryWidth + h * g.headSize,
                                                m: g.queries, n: g.headSize, k: g.keys,
                                                ldb: g.keyValueWidth, ldc: g.queryWidth)
                                }
                            }
                        }
                    }
                }
            }
        }
        let result = Tensor(shape: shape, values: output)
        return result.recorded(operation: "attention", from: [self, keys, values]) { dy in
            Attention.backward(dy: dy, queries: self, keys: keys, values: values, probabilities: probabilities,
                               geometry: g, scale: scale)
        }
    }
}

extension Attention {
    /// Turns raw scores `(T, S)` into masked, scaled softmax probabilities in place. With a key
    /// mask, `keyBias` holds 0 for real keys and −∞ for padding and `keyKeep` 1 and 0, per
    /// `(n, s)`, so every pass over a row is a straight vectorised loop; padding keys get exactly
    /// zero weight.
    @inline(__always)
    static func maskedSoftmax(_ p: UnsafeMutablePointer<Float>, geometry g: Geometry, sequence n: Int, scale: Float, causal: Bool,
                              keyBias: UnsafePointer<Float>?, keyKeep: UnsafePointer<Float>?) {
        let offset = g.keys - g.queries
        let bias = keyBias.map { $0 + n * g.keys }, keep = keyKeep.map { $0 + n * g.keys }
        for t in 0..<g.queries {
            let row = p + t * g.keys
            let visible = causal ? Swift.max(0, Swift.min(g.keys, t + offset + 1)) : g.keys
            if let bias, let keep {
                for s in 0..<visible { row[s] = row[s] * scale + bias[s] }
                let maximum = FastMath.maximum(row, count: visible)
                guard maximum > -Float.infinity else {
                    for s in 0..<g.keys { row[s] = 0 }
                    continue
                }
                for s in 0..<visible { row[s] = FastMath.exp(row[s] - maximum) * keep[s] }
                let inverse = 1 / FastMath.sum(row, count: visible)
                for s in 0..<visible { row[s] *= inverse }
            } else {
                for s in 0..<visible { row[s] *= scale }
                if visible > 0 { Softmax.row(row, row, count: visible) }
            }
            for s in visible..<g.keys { row[s] = 0 }
        }
    }

    static func backward(dy: [Float], queries: Tensor, keys: Tensor, values: Tensor, probabilities: [Float],
                         geometry g: Geometry, scale: Float) {
        var dQ = [Float](repeating: 0, count: queries.count)
        var dK = [Float](repeating: 0, count: keys.count)
        var dV = [Float](repeating: 0, count: values.count)
        var dScores = Tensor.uninitializedValues(count: g.sequences * g.heads * g.queries * g.keys)
        dy.withUnsafeBufferPointer { dO in
            queries.values.withUnsafeBufferPointer { q in
                keys.values.withUnsafeBufferPointer { k in
                    values.values.withUnsafeBufferPointer { v in
                        probabilities.withUnsafeBufferPointer { p in
                            dQ.withUnsafeMutableBufferPointer { dQ in
                                dK.withUnsafeMutableBufferPointer { dK in
                                    dV.withUnsafeMutableBufferPointer { dV in
                                        // As forward: the GEMMs for every head, the elementwise dS over the
                                        // cores, the GEMMs again; each head has its own dS block.
                                        dScores.withUnsafeMutableBufferPointer { dS in
                                            let block = g.queries * g.keys
                                            for n in 0..<g.sequences {
                                                for h in 0..<g.heads {
                                                    let qOffset = n * g.queries * g.queryWidth + h * g.headSize
                                                    let kvOffset = n * g.keys * g.keyValueWidth + (h / g.group) * g.headSize
                                                    let index = n * g.heads + h
                                                    // dV_h (S, D) += Pᵀ (S, T) · dO_h (T, D).
                                                    MatMul.gemm(p.start + index * block, transposed: true, dO.start + qOffset, transposed: false,
                                                                into: dV.start + kvOffset, m: g.keys, n: g.headSize, k: g.queries,
                                                                lda: g.keys, ldb: g.queryWidth, ldc: g.keyValueWidth, beta: 1)
                                                    // dP (T, S) = dO_h (T, D) · V_hᵀ (D, S).
                                                    MatMul.gemm(dO.start + qOffset, transposed: false, v.start + kvOffset, transposed: true,
                                                                into: dS.start + index * block, m: g.queries, n: g.keys, k: g.headSize,
                                                                lda: g.queryWidth, ldb: g.keyValueWidth, ldc: g.keys)
                                                }
                                            }
                                            // dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale (the 1/√D of the scores).
                                            Parallel.forEach(g.sequences * g.heads) { index in
                                                let (dS, p) = (dS, p)
                                                for t in 0..<g.queries {
                                                    let row = index * block + t * g.keys
                                                    let dot = FastMath.dot(dS.start + row, p.start + row, count: g.keys)
                                                    for s in 0..<g.keys { dS[row + s] = p[row + s] * (dS[row + s] - dot) * scale }
                                                }
                                            }
                                            for n in 0..<g.sequences {
                                                for h in 0..<g.heads {
                                                    let qOffset = n * g.queries * g.queryWidth + h * g.headSize
                                                    let kvOffset = n * g.keys * g.keyValueWidth + (h / g.group) * g.headSize
                                                    let dSBase = dS.start + (n * g.heads + h) * block
                                                    // dQ_h (T, D) += dS (T, S) · K_h (S, D).
                                                    MatMul.gemm(dSBase, transposed: false, k.start + kvOffset, transposed: false,
                                                                into: dQ.start + qOffset, m: g.queries, n: g.headSize, k: g.keys,
                                                                ldb: g.keyValueWidth, ldc: g.queryWidth, beta: 1)
                                                    // dK_h (S, D) += dSᵀ (S, T) · Q_h (T, D).
                                                    MatMul.gemm(dSBase, transposed: true, q.start + qOffset, transposed: false,
                                                                into: dK.start + kvOffset, m: g.keys, n: g.headSize, k: g.queries,
                                                                lda: g.keys, ldb: g.queryWidth, ldc: g.keyValueWidth, beta: 1)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if queries.requiresGradient { queries.accumulateGradient(dQ) }
        if keys.requiresGradient { keys.accumulateGradient(dK) }
        if values.requiresGradient { values.accumulateGradient(dV) }
    }
}
