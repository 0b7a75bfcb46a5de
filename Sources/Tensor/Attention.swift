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
///
/// Work is split into tasks, one per `(n, h)` forward and per `(n, KV head)` backward (the query
/// heads of a group accumulate into the same `dK`, `dV`), which run on all cores. Each task walks
/// its queries in blocks of ``Geometry/queryBlock`` rows, small enough that every GEMM of a block
/// stays under OpenBLAS's threading threshold and so runs on the calling thread: the tasks never
/// meet OpenBLAS's own threads. A causal block multiplies only the keys its last query sees,
/// which skips the masked upper triangle. The blocks depend on the shapes alone, so results are
/// the same for any number of threads.
public enum Attention {
    /// The sizes of one attention call.
    struct Geometry {
        let sequences: Int, queries: Int, keys: Int, heads: Int, keyValueHeads: Int, headSize: Int
        let causal: Bool
        /// The largest `M·N·K` a task's GEMM may have (``MatMul/singleThreadedWork``; tests
        /// set it lower to exercise many query blocks on small inputs).
        let gemmWorkLimit: Int
        var queryWidth: Int { heads * headSize }
        var keyValueWidth: Int { keyValueHeads * headSize }
        var group: Int { heads / keyValueHeads }

        /// Whether one query row against every key fits a single-threaded GEMM; when it does not
        /// (long contexts), the tasks run one after another and each GEMM uses OpenBLAS's threads.
        var tasksRunInParallel: Bool { keys * headSize <= gemmWorkLimit }

        /// Query rows per GEMM: as many as keep `rows · S · D` under the threshold, or all of them.
        var queryBlock: Int {
            tasksRunInParallel ? Swift.max(1, Swift.min(queries, gemmWorkLimit / Swift.max(keys * headSize, 1))) : queries
        }

        /// The keys query `t` may see before padding: `t + S − T + 1` when causal, else all `S`.
        func visibleKeys(query t: Int) -> Int {
            causal ? Swift.max(0, Swift.min(keys, t + keys - queries + 1)) : keys
        }

        /// Calls `body` for every task, on all cores when ``tasksRunInParallel``.
        func forEachTask(_ count: Int, _ body: (Int) -> Void) {
            if tasksRunInParallel {
                Parallel.forEach(count, body)
            } else {
                for index in 0..<count { body(index) }
            }
        }

        /// Calls `body(first query, rows, keys the block multiplies)` for each block of queries.
        func forEachQueryBlock(_ body: (Int, Int, Int) -> Void) {
            for first in stride(from: 0, to: queries, by: queryBlock) {
                let rows = Swift.min(queryBlock, queries - first)
                body(first, rows, visibleKeys(query: first + rows - 1))
            }
        }
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
        attention(keys: keys, values: values, heads: heads, keyValueHeads: keyValueHeads, causal: causal, keyMask: keyMask,
                  gemmWorkLimit: MatMul.singleThreadedWork)
    }

    /// ``attention(keys:values:heads:keyValueHeads:causal:keyMask:)`` with its tasks' GEMMs kept
    /// under `gemmWorkLimit` (see ``Attention/Geometry/gemmWorkLimit``).
    func attention(keys: Tensor, values: Tensor, heads: Int, keyValueHeads: Int,
                   causal: Bool, keyMask: [Bool]?, gemmWorkLimit: Int) -> Tensor {
        precondition(rank == 3 && keys.rank == 3 && keys.shape == values.shape
                     && keys.shape[0] == shape[0] && heads % keyValueHeads == 0 && shape[2] % heads == 0,
                     "attention: queries \(shape), keys \(keys.shape), values \(values.shape), \(heads)/\(keyValueHeads) heads")
        let geometry = Attention.Geometry(sequences: shape[0], queries: shape[1], keys: keys.shape[1], heads: heads,
                                          keyValueHeads: keyValueHeads, headSize: shape[2] / heads, causal: causal,
                                          gemmWorkLimit: gemmWorkLimit)
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
                            keyBias.withUnsafeBufferPointer { keyBias in
                                keyKeep.withUnsafeBufferPointer { keyKeep in
                                    g.forEachTask(g.sequences * g.heads) { task in
                                        let (q, k, v, p, o) = (q, k, v, p, o)
                                        let n = task / g.heads, h = task % g.heads
                                        let kBase = k.start + n * g.keys * g.keyValueWidth + (h / g.group) * g.headSize
                                        let vBase = v.start + n * g.keys * g.keyValueWidth + (h / g.group) * g.headSize
                                        g.forEachQueryBlock { first, rows, seen in
                                            let qBlock = q.start + (n * g.queries + first) * g.queryWidth + h * g.headSize
                                            let pBlock = p.start + (task * g.queries + first) * g.keys
                                            let oBlock = o.start + (n * g.queries + first) * g.queryWidth + h * g.headSize
                                            // Scores (rows, seen) = Q_h (rows, D) · K_hᵀ (D, seen) / √D.
                                            if seen > 0 {
                                                MatMul.gemm(qBlock, transposed: false, kBase, transposed: true, into: pBlock,
                                                            m: rows, n: seen, k: g.headSize,
                                                            lda: g.queryWidth, ldb: g.keyValueWidth, ldc: g.keys, alpha: scale)
                                            }
                                            for row in 0..<rows {
                                                Attention.maskedSoftmax(pBlock + row * g.keys, visible: g.visibleKeys(query: first + row),
                                                                        keys: g.keys,
                                                                        keyBias: keyMask == nil ? nil : keyBias.start + n * g.keys,
                                                                        keyKeep: keyMask == nil ? nil : keyKeep.start + n * g.keys)
                                            }
                                            // O_h (rows, D) = P (rows, seen) · V_h (seen, D); zero when no key is seen.
                                            if seen > 0 {
                                                MatMul.gemm(pBlock, transposed: false, vBase, transposed: false, into: oBlock,
                                                            m: rows, n: g.headSize, k: seen,
                                                            lda: g.keys, ldb: g.keyValueWidth, ldc: g.queryWidth)
                                            } else {
                                                for row in 0..<rows { (oBlock + row * g.queryWidth).update(repeating: 0, count: g.headSize) }
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
        let result = Tensor(shape: shape, values: output)
        return result.recorded(operation: "attention", from: [self, keys, values]) { dy in
            Attention.backward(dy: dy, queries: self, keys: keys, values: values, probabilities: probabilities,
                               geometry: g, scale: scale)
        }
    }
}

extension Attention {
    /// Turns one row of scaled scores into masked softmax probabilities in place: the first
    /// `visible` entries are the scores of the keys the query may see, and all `keys` entries are
    /// written. With a key mask, `keyBias` holds 0 for real keys and −∞ for padding and `keyKeep`
    /// 1 and 0, so every pass over the row is a straight vectorised loop; padding keys get exactly
    /// zero weight, and a row that sees no key becomes all zeros.
    @inline(__always)
    static func maskedSoftmax(_ row: UnsafeMutablePointer<Float>, visible: Int, keys: Int,
                              keyBias: UnsafePointer<Float>?, keyKeep: UnsafePointer<Float>?) {
        if let keyBias, let keyKeep {
            for s in 0..<visible { row[s] += keyBias[s] }
            let maximum = FastMath.maximum(row, count: visible)
            guard maximum > -Float.infinity else {
                row.update(repeating: 0, count: keys)
                return
            }
            for s in 0..<visible { row[s] = FastMath.exp(row[s] - maximum) * keyKeep[s] }
            let inverse = 1 / FastMath.sum(row, count: visible)
            for s in 0..<visible { row[s] *= inverse }
        } else {
            if visible > 0 { Softmax.row(row, row, count: visible) }
        }
        (row + visible).update(repeating: 0, count: keys - visible)
    }

    static func backward(dy: [Float], queries: Tensor, keys: Tensor, values: Tensor, probabilities: [Float],
                         geometry g: Geometry, scale: Float) {
        var dQ = [Float](repeating: 0, count: queries.count)
        var dK = [Float](repeating: 0, count: keys.count)
        var dV = [Float](repeating: 0, count: values.count)
        let tasks = g.sequences * g.keyValueHeads
        let scratchSize = g.queryBlock * g.keys
        var dScores = Tensor.uninitializedValues(count: tasks * scratchSize)
        dy.withUnsafeBufferPointer { dO in
            queries.values.withUnsafeBufferPointer { q in
                keys.values.withUnsafeBufferPointer { k in
                    values.values.withUnsafeBufferPointer { v in
                        probabilities.withUnsafeBufferPointer { p in
                            dQ.withUnsafeMutableBufferPointer { dQ in
                                dK.withUnsafeMutableBufferPointer { dK in
                                    dV.withUnsafeMutableBufferPointer { dV in
                                        dScores.withUnsafeMutableBufferPointer { scratch in
                                            // One task per (n, KV head): its query heads write the same dK_h, dV_h rows.
                                            g.forEachTask(tasks) { task in
                                                let (dO, q, k, v, p, dQ, dK, dV) = (dO, q, k, v, p, dQ, dK, dV)
                                                let n = task / g.keyValueHeads, kvHead = task % g.keyValueHeads
                                                let kvOffset = n * g.keys * g.keyValueWidth + kvHead * g.headSize
                                                let dS = scratch.start + task * scratchSize
                                                for h in (kvHead * g.group)..<((kvHead + 1) * g.group) {
                                                    g.forEachQueryBlock { first, rows, seen in
                                                        guard seen > 0 else { return }
                                                        let qOffset = (n * g.queries + first) * g.queryWidth + h * g.headSize
                                                        let pBlock = p.start + ((n * g.heads + h) * g.queries + first) * g.keys
                                                        // dV_h (seen, D) += Pᵀ (seen, rows) · dO_h (rows, D).
                                                        MatMul.gemm(pBlock, transposed: true, dO.start + qOffset, transposed: false,
                                                                    into: dV.start + kvOffset, m: seen, n: g.headSize, k: rows,
                                                                    lda: g.keys, ldb: g.queryWidth, ldc: g.keyValueWidth, beta: 1)
                                                        // dP (rows, seen) = dO_h (rows, D) · V_hᵀ (D, seen).
                                                        MatMul.gemm(dO.start + qOffset, transposed: false, v.start + kvOffset, transposed: true,
                                                                    into: dS, m: rows, n: seen, k: g.headSize,
                                                                    lda: g.queryWidth, ldb: g.keyValueWidth, ldc: seen)
                                                        // dS = P ⊙ (dP − rowsum(dP ⊙ P)); the 1/√D of the scores is the
                                                        // alpha of the two products below. P is zero past each row's
                                                        // visible keys, so dS is too.
                                                        for row in 0..<rows {
                                                            let dSRow = dS + row * seen, pRow = pBlock + row * g.keys
                                                            let dot = FastMath.dot(dSRow, pRow, count: seen)
                                                            for s in 0..<seen { dSRow[s] = pRow[s] * (dSRow[s] - dot) }
                                                        }
                                                        // dQ_h (rows, D) += dS (rows, seen) · K_h (seen, D) / √D.
                                                        MatMul.gemm(dS, transposed: false, k.start + kvOffset, transposed: false,
                                                                    into: dQ.start + qOffset, m: rows, n: g.headSize, k: seen,
                                                                    lda: seen, ldb: g.keyValueWidth, ldc: g.queryWidth, alpha: scale, beta: 1)
                                                        // dK_h (seen, D) += dSᵀ (seen, rows) · Q_h (rows, D) / √D.
                                                        MatMul.gemm(dS, transposed: true, q.start + qOffset, transposed: false,
                                                                    into: dK.start + kvOffset, m: seen, n: g.headSize, k: rows,
                                                                    lda: seen, ldb: g.queryWidth, ldc: g.keyValueWidth, alpha: scale, beta: 1)
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
        }
        if queries.requiresGradient { queries.accumulateGradient(dQ) }
        if keys.requiresGradient { keys.accumulateGradient(dK) }
        if values.requiresGradient { values.accumulateGradient(dV) }
    }
}
