/// Elementwise arithmetic with NumPy broadcasting: `+`, `-`, `*`, `/` between tensors, and with
/// scalars.
///
/// Backward: the gradient of a broadcast operand is the sum of the output gradient over the
/// positions it was repeated to (`dA[a(i)] += ∂y/∂a · dY[i]`).
enum Arithmetic {
    /// `y = op(a, b)` elementwise over the broadcast shape.
    @inline(__always)
    static func forward(_ a: Tensor, _ b: Tensor, operation: String,
                        _ op: (Float, Float) -> Float) -> (y: Tensor, plan: Broadcast) {
        let plan = Broadcast(a.shape, b.shape, operation: operation)
        var y = Tensor.uninitializedValues(count: plan.shape.elementCount)  // every run below writes its elements
        a.values.withUnsafeBufferPointer { a in
            b.values.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { y in
                    plan.forEachRun { count, o, oa, ob, sa, sb in
                        // Run pointers, not `o + j` indices: overflow-checked index sums keep a loop scalar.
                        let yRun = y.start + o, aRun = a.start + oa, bRun = b.start + ob
                        if sa == 1 && sb == 1 {
                            for j in 0..<count { yRun[j] = op(aRun[j], bRun[j]) }
                        } else if sa == 1 && sb == 0 {
                            let bValue = b[ob]
                            for j in 0..<count { yRun[j] = op(aRun[j], bValue) }
                        } else if sa == 0 && sb == 1 {
                            let aValue = a[oa]
                            for j in 0..<count { yRun[j] = op(aValue, bRun[j]) }
                        } else {
                            for j in 0..<count { y[o + j] = op(a[oa + j * sa], b[ob + j * sb]) }
                        }
                    }
                }
            }
        }
        return (Tensor(shape: plan.shape, values: y), plan)
    }

    /// Adds `partial(dy, a, b)` for every output element into the gradient of `a` (when
    /// `intoFirst`) or `b`, at the element that produced it.
    @inline(__always)
    static func accumulate(intoFirst: Bool, a: Tensor, b: Tensor, plan: Broadcast, dy: [Float],
                           _ partial: (_ dy: Float, _ a: Float, _ b: Float) -> Float) {
        let target = intoFirst ? a : b
        guard target.requiresGradient else { return }
        let aValues = a.values, bValues = b.values
        target.withGradient { gradient in
            dy.withUnsafeBufferPointer { dy in
                aValues.withUnsafeBufferPointer { a in
                    bValues.withUnsafeBufferPointer { b in
                        plan.forEachRun { count, o, oa, ob, sa, sb in
                            let (start, stride) = intoFirst ? (oa, sa) : (ob, sb)
                            if stride == 0 {
                                var sum: Float = 0
                                for j in 0..<count { sum += partial(dy[o + j], a[oa + j * sa], b[ob + j * sb]) }
                                gradient[start] += sum
                            } else {
                                for j in 0..<count {
                                    gradient[start + j * stride] += partial(dy[o + j], a[oa + j * sa], b[ob + j * sb])
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// `a + b`, broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let (y, plan) = Arithmetic.forward(a, b, operation: "add") { $0 + $1 }
        return y.recorded(operation: "add", from: [a, b]) { dy in
            for input in [a, b] where input.requiresGradient {
                // An operand of the output's shape (a residual) takes dy as it is: no pass over it.
                if input.shape == plan.shape {
                    input.accumulateGradient(dy)
                } else {
                    Arithmetic.accumulate(intoFirst: input === a, a: a, b: b, plan: plan, dy: dy) { dy, _, _ in dy }
                }
            }
        }
    }

    /// `a - b`, broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let (y, plan) = Arithmetic.forward(a, b, operation: "subtract") { $0 - $1 }
        return y.recorded(operation: "subtract", from: [a, b]) { dy in
            Arithmetic.accumulate(intoFirst: true, a: a, b: b, plan: plan, dy: dy) { dy, _, _ in dy }
            Arithmetic.accumulate(intoFirst: false, a: a, b: b, plan: plan, dy: dy) { dy, _, _ in -dy }
        }
    }

    /// `a * b` elementwise, broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let (y, plan) = Arithmetic.forward(a, b, operation: "multiply") { $0 * $1 }
        return y.recorded(operation: "multiply", from: [a, b]) { dy in
            Arithmetic.accumulate(intoFirst: true, a: a, b: b, plan: plan, dy: dy) { dy, _, b in dy * b }
            Arithmetic.accumulate(intoFirst: false, a: a, b: b, plan: plan, dy: dy) { dy, a, _ in dy * a }
        }
    }

    /// `a / b` elementwise, broadcasting.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let (y, plan) = Arithmetic.forward(a, b, operation: "divide") { $0 / $1 }
        return y.recorded(operation: "divide", from: [a, b]) { dy in
            Arithmetic.accumulate(intoFirst: true, a: a, b: b, plan: plan, dy: dy) { dy, _, b in dy / b }
            Arithmetic.accumulate(intoFirst: false, a: a, b: b, plan: plan, dy: dy) { dy, a, b in -dy * a / (b * b) }
        }
    }

    /// `x + c` for a scalar `c`.
    public static func + (x: Tensor, c: Float) -> Tensor {
        x.mapped(operation: "add scalar", { $0 + c }, derivative: { _, _ in 1 })
    }

    /// `x - c` for a scalar `c`.
    public static func - (x: Tensor, c: Float) -> Tensor { x + (-c) }

    /// `x · c` for a scalar `c`.
    public static func * (x: Tensor, c: Float) -> Tensor {
        x.mapped(operation: "multiply scalar", { $0 * c }, derivative: { _, _ in c })
    }

    /// `c · x` for a scalar `c`.
    public static func * (c: Float, x: Tensor) -> Tensor { x * c }

    /// `x / c` for a scalar `c`.
    public static func / (x: Tensor, c: Float) -> Tensor { x * (1 / c) }

    /// `-x`.
    public static prefix func - (x: Tensor) -> Tensor { x * -1 }
}
