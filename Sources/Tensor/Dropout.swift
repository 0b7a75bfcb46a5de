/// Inverted dropout (PyTorch's `nn.Dropout` in training mode): each element is zeroed with
/// probability `p` and the survivors scaled by `1/(1 − p)`, so the expectation is unchanged.
/// Forward caches the mask `m` (0 or `1/(1 − p)` per element); backward `dx += dy ⊙ m`.
public enum Dropout {}

extension Tensor {
    /// Dropout with probability `p`, drawing the mask from `generator`. `p = 0` returns `self`.
    /// - Precondition: `0 ≤ p < 1`.
    public func dropout(probability p: Float, generator: inout SeededGenerator) -> Tensor {
        precondition(p >= 0 && p < 1, "dropout: probability \(p) outside [0, 1)")
        guard p > 0 else { return self }
        let keep = 1 / (1 - p)
        var mask = [Float](repeating: 0, count: count)
        for i in 0..<count where generator.uniform() >= p { mask[i] = keep }
        var y = values
        for i in 0..<count { y[i] *= mask[i] }
        return Tensor(shape: shape, values: y).recorded(operation: "dropout", from: [self]) { dy in
            self.withGradient { dx in
                for i in 0..<dx.count { dx[i] += dy[i] * mask[i] }
            }
        }
    }
}
