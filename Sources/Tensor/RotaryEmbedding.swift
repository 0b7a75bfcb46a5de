import Foundation

/// Rotary position embedding in LLaMA's rotate-half convention (HF `apply_rotary_pos_emb`).
///
/// Legend: `x (N, T, H, D)` (heads of one projection, as `linear` produces them reshaped),
/// `p_t` the position of token `t` (one list shared by the sequences, or one per sequence, as with
/// left padding), `θ` the base. For `i < D/2`:
/// `f_i = θ^(−2i/D)`, `a = p_t · f_i` (float32, as HF computes it),
/// `y[i] = x[i] cos a − x[i + D/2] sin a`, `y[i + D/2] = x[i + D/2] cos a + x[i] sin a`.
/// Backward is the inverse rotation: `dx[i] = dy[i] cos a + dy[i + D/2] sin a`,
/// `dx[i + D/2] = dy[i + D/2] cos a − dy[i] sin a`.
public enum RotaryEmbedding {
    /// `cos` and `sin` tables `(T, D/2)` for the given positions. The angles are computed once per
    /// distinct position (a batch repeats `0..<T` in every sequence) and copied to each token.
    static func tables(positions: [Int], headSize: Int, base: Float) -> (cos: [Float], sin: [Float]) {
        let half = headSize / 2
        guard let lowest = positions.min(), let highest = positions.max() else { return ([], []) }
        let span = highest - lowest + 1
        var distinctCosines = [Float](repeating: 0, count: span * half)
        var distinctSines = distinctCosines
        for i in 0..<half {
            let frequency = 1 / Foundation.pow(base, Float(2 * i) / Float(headSize))
            for offset in 0..<span {
                let angle = Float(lowest + offset) * frequency
                distinctCosines[offset * half + i] = Foundation.cos(angle)
                distinctSines[offset * half + i] = Foundation.sin(angle)
            }
        }
        var cosines: [Float] = [], sines: [Float] = []
        cosines.reserveCapacity(positions.count * half)
        sines.reserveCapacity(positions.count * half)
        for position in positions {
            let row = (position - lowest) * half
            cosines.append(contentsOf: distinctCosines[row..<(row + half)])
            sines.append(contentsOf: distinctSines[row..<(row + half)])
        }
        return (cosines, sines)
    }

    /// Rotates every head of every token of `x` into `y`; `direction` −1 rotates back. Tokens are
    /// split over the cores in fixed chunks.
    @inline(__always)
    static func rotate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, sequences: Int,
                       tokens: Int, heads: Int, headSize: Int, cos: [Float], sin: [Float], direction: Float) {
        let half = headSize / 2, width = heads * headSize
        cos.withUnsafeBufferPointer { cos in
            sin.withUnsafeBufferPointer { sin in
                // Positions are either shared by all sequences (T of them) or per sequence (N·T).
                let perSequence = cos.count == sequences * tokens * half && sequences > 1
                Parallel.forEachChunk(sequences * tokens, chunk: Swift.max(1, Parallel.elementChunk / Swift.max(width, 1))) { range in
                    for token in range {
                        // Pointers per row and half: overflow-checked `base + i` indices keep a loop scalar.
                        let table = (perSequence ? token : token % tokens) * half
                        let cosRow = cos.start + table, sinRow = sin.start + table
                        for h in 0..<heads {
                            let base = token * width + h * headSize
                            let (xFirst, xSecond) = (x + base, x + base + half)
                            let (yFirst, ySecond) = (y + base, y + base + half)
                            for i in 0..<half {
                                let (c, s) = (cosRow[i], direction * sinRow[i])
                                let (first, second) = (xFirst[i], xSecond[i])
                                yFirst[i] = first * c - second * s
                                ySecond[i] = second * c + first * s
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// Rotary position embedding of `(N, T, H, D)` heads at `positions` (`T` shared by the
    /// sequences, or `N·T`, one list per sequence) with base `θ`.
    /// - Precondition: `D` is even; one position per token.
    public func rotaryEmbedded(positions: [Int], base: Float) -> Tensor {
        precondition(rank == 4 && shape[3] % 2 == 0 && (positions.count == shape[1] || positions.count == shape[0] * shape[1]),
                     "RoPE: expects (N, T, H, D) with even D and T positions, got \(shape) and \(positions.count)")
        let (sequences, tokens, heads, headSize) = (shape[0], shape[1], shape[2], shape[3])
        let (cos, sin) = RotaryEmbedding.tables(positions: positions, headSize: headSize, base: base)
        var y = Tensor.uninitializedValues(count: count)  // every element is written
        values.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                RotaryEmbedding.rotate(x.start, into: y.start, sequences: sequences, tokens: tokens, heads: heads,
                                       headSize: headSize, cos: cos, sin: sin, direction: 1)
            }
        }
        return Tensor(shape: shape, values: y).recorded(operation: "rope", from: [self]) { dy in
            var dx = Tensor.uninitializedValues(count: dy.count)
            dy.withUnsafeBufferPointer { dy in
                dx.withUnsafeMutableBufferPointer { dx in
                    RotaryEmbedding.rotate(dy.start, into: dx.start, sequences: sequences, tokens: tokens, heads: heads,
                                           headSize: headSize, cos: cos, sin: sin, direction: -1)
                }
            }
            self.accumulateGradient(dx)
        }
    }
}
