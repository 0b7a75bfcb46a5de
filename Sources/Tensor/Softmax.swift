import Foundation

/// Softmax and log-softmax over the last dimension, fused and numerically stable (the row maximum
/// is subtracted before `exp`).
///
/// Legend: rows of `C` values. Forward `y = exp(x − max) / Σ exp(x − max)`;
/// backward `dx = y ⊙ (dy − Σ dy ⊙ y)`. Log-softmax: `y = x − max − log Σ exp(x − max)`,
/// backward `dx = dy − softmax(x) · Σ dy`.
public enum Softmax {
    /// Writes `softmax(x)` of one row into `y` (which may be `x` itself), returning
    /// `log Σ exp(x)` of the row. The exponentials are a vectorised loop; the maximum and the sum
    /// are eight-lane SIMD reductions in a fixed order.
    @inline(__always) @discardableResult
    static func row(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) -> Float {
        let maximum = FastMath.maximum(x, count: count)
        for i in 0..<count { y[i] = FastMath.exp(x[i] - maximum) }
        let sum = FastMath.sum(y, count: count)
        let inverse = 1 / sum
        for i in 0..<count { y[i] *= inverse }
        return maximum + Foundation.log(sum)
    }
}

extension Tensor {
    /// Softmax over the last dimension.
    public func softmax() -> Tensor {
        let width = shape.last ?? 1, rows = count / Swift.max(width, 1)
        var y = [Float](repeating: 0, count: count)
        values.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                for row in 0..<rows { Softmax.row(x.start + row * width, y.start + row * width, count: width) }
            }
        }
        let output = Tensor(shape: shape, values: y)
        return output.recorded(operation: "softmax", from: [self]) { [unowned output] dy in
            output.values.withUnsafeBufferPointer { y in
                dy.withUnsafeBufferPointer { dy in
                    self.withGradient { dx in
                        for row in 0..<rows {
                            let yRow = y.start + row * width, dyRow = dy.start + row * width, dxRow = dx.start + row * width
                            let dot = FastMath.dot(dyRow, yRow, count: width)
                            for i in 0..<width { dxRow[i] += yRow[i] * (dyRow[i] - dot) }
                        }
                    }
                }
            }
        }
    }

    /// Log-softmax over the last dimension.
    public func logSoftmax() -> Tensor {
        let width = shape.last ?? 1, rows = count / Swift.max(width, 1)
        var y = [Float](repeating: 0, count: count)
        values.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                for row in 0..<rows {
                    let xRow = x.start + row * width, yRow = y.start + row * width
                    let logSum = Softmax.row(xRow, yRow, count: width)
                    for i in 0..<width { yRow[i] = xRow[i] - logSum }
                }
            }
        }
        let output = Tensor(shape: shape, values: y)
        return output.recorded(operation: "log-softmax", from: [self]) { [unowned output] dy in
            output.values.withUnsafeBufferPointer { y in
                dy.withUnsafeBufferPointer { dy in
                    self.withGradient { dx in
                        for row in 0..<rows {
                            let yRow = y.start + row * width, dyRow = dy.start + row * width, dxRow = dx.start + row * width
                            let total = FastMath.sum(dyRow, count: width)
                            for i in 0..<width { dxRow[i] += dyRow[i] - FastMath.exp(yRow[i]) * total }
                        }
                    }
                }
            }
        }
    }
}
