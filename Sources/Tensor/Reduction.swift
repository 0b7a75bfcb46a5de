/// Sums, means and maxima over one axis, and the sum of all elements.
///
/// An axis splits the shape into `(outer, n, inner)`; the result has shape `(outer, inner)`
/// (the axis removed) or `(outer, 1, inner)` with `keepingDimension`.
extension Tensor {
    /// The sum over `axis` (negative counts from the end).
    public func sum(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        reduced(alongAxis: axis, keepingDimension: keepingDimension, scale: 1)
    }

    /// The mean over `axis` (negative counts from the end).
    public func mean(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let extent = shape[shape.normalizedAxis(axis)]
        return reduced(alongAxis: axis, keepingDimension: keepingDimension, scale: 1 / Float(Swift.max(extent, 1)))
    }

    /// The sum of all elements, as a scalar.
    public func sum() -> Tensor {
        var total: Float = 0
        for value in values { total += value }
        return Tensor(scalar: total).recorded(operation: "sum", from: [self]) { dy in
            let g = dy[0]
            self.withGradient { dx in for i in 0..<dx.count { dx[i] += g } }
        }
    }

    /// The mean of all elements, as a scalar.
    public func mean() -> Tensor {
        sum() * (1 / Float(Swift.max(count, 1)))
    }

    /// `scale · Σ` over `axis`; backward spreads `scale · dy` over the reduced positions.
    private func reduced(alongAxis axis: Int, keepingDimension: Bool, scale: Float) -> Tensor {
        let (outer, n, inner) = shape.split(around: axis)
        var y = [Float](repeating: 0, count: outer * inner)
        values.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                for o in 0..<outer {
                    for j in 0..<n {
                        let row = (o * n + j) * inner
                        for i in 0..<inner { y[o * inner + i] += x[row + i] }
                    }
                    for i in 0..<inner { y[o * inner + i] *= scale }
                }
            }
        }
        let output = Tensor(shape: reducedShape(axis: axis, keepingDimension: keepingDimension), values: y)
        return output.recorded(operation: "reduce-axis", from: [self]) { dy in
            self.withGradient { dx in
                for o in 0..<outer {
                    for j in 0..<n {
                        let row = (o * n + j) * inner
                        for i in 0..<inner { dx[row + i] += scale * dy[o * inner + i] }
                    }
                }
            }
        }
    }

    /// The maximum over `axis`; the gradient flows to the first position holding the maximum.
    public func max(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let (outer, n, inner) = shape.split(around: axis)
        precondition(n > 0, "max over an empty axis of \(shape)")
        var y = [Float](repeating: -.infinity, count: outer * inner)
        var argmax = [Int](repeating: 0, count: outer * inner)
        values.withUnsafeBufferPointer { x in
            for o in 0..<outer {
                for j in 0..<n {
                    for i in 0..<inner where x[(o * n + j) * inner + i] > y[o * inner + i] {
                        y[o * inner + i] = x[(o * n + j) * inner + i]
                        argmax[o * inner + i] = j
                    }
                }
            }
        }
        let output = Tensor(shape: reducedShape(axis: axis, keepingDimension: keepingDimension), values: y)
        return output.recorded(operation: "max", from: [self]) { dy in
            self.withGradient { dx in
                for o in 0..<outer {
                    for i in 0..<inner { dx[(o * n + argmax[o * inner + i]) * inner + i] += dy[o * inner + i] }
                }
            }
        }
    }

    private func reducedShape(axis: Int, keepingDimension: Bool) -> [Int] {
        var result = shape
        let axis = shape.normalizedAxis(axis)
        if keepingDimension { result[axis] = 1 } else { result.remove(at: axis) }
        return result
    }
}
