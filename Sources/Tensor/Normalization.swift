/// L2 normalisation of rows and the cosine-similarity matrix built on it.
///
/// `y = x / max(‖x‖, ε)` per row of `C` (PyTorch's `F.normalize`, ε = 1e-12). Forward caches the
/// row norms; backward `dx = (dy − y (y·dy)) / ‖x‖` where `‖x‖ > ε`, `dy / ε` otherwise.
public enum Normalization {
    /// PyTorch's `F.normalize` default.
    public static let epsilon: Float = 1e-12
}

extension Tensor {
    /// Each row of the last dimension scaled to unit L2 norm.
    public func l2Normalized() -> Tensor {
        let width = shape.last ?? 1, rows = count / Swift.max(width, 1)
        var y = [Float](repeating: 0, count: count)
        var norms = [Float](repeating: 0, count: rows)
        values.withUnsafeBufferPointer { x in
            for row in 0..<rows {
                var squares: Float = 0
                for i in 0..<width { squares += x[row * width + i] * x[row * width + i] }
                let norm = Swift.max(squares.squareRoot(), Normalization.epsilon)
                norms[row] = norm
                for i in 0..<width { y[row * width + i] = x[row * width + i] / norm }
            }
        }
        let output = Tensor(shape: shape, values: y)
        return output.recorded(operation: "l2-normalize", from: [self]) { [unowned output] dy in
            let y = output.values
            self.withGradient { dx in
                for row in 0..<rows {
                    let base = row * width
                    if norms[row] > Normalization.epsilon {
                        var dot: Float = 0
                        for i in 0..<width { dot += y[base + i] * dy[base + i] }
                        for i in 0..<width { dx[base + i] += (dy[base + i] - y[base + i] * dot) / norms[row] }
                    } else {
                        for i in 0..<width { dx[base + i] += dy[base + i] / norms[row] }
                    }
                }
            }
        }
    }

    /// Cosine similarities between the rows of `a (N, C)` and `b (M, C)`: `(N, M)`.
    public static func cosineSimilarities(_ a: Tensor, _ b: Tensor) -> Tensor {
        a.l2Normalized().matmul(b.l2Normalized(), transposeOther: true)
    }
}
