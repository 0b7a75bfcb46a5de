/// NumPy broadcasting of two shapes, reduced to the fewest loops that cover it.
///
/// Shapes are aligned at their last dimension; an extent of 1 (or a missing leading dimension)
/// repeats along the other's extent. Adjacent dimensions that broadcast the same way merge, so
/// the common cases become one or two plain loops: equal shapes (1 loop), a bias `(C)` over
/// `(N, T, C)` (2 loops: `(N·T, C)` with the bias stride 0 outside), a per-row scale `(N, T, 1)`
/// over `(N, T, C)` (2 loops, the scale stride 0 inside).
struct Broadcast {
    /// The output shape.
    let shape: [Int]
    /// The merged loop extents, outermost first; the last is the innermost loop.
    let extents: [Int]
    /// Per merged loop, the element stride of each operand (0 where it repeats).
    let stridesA: [Int]
    let stridesB: [Int]

    /// - Precondition: the shapes broadcast (a programming error in the caller otherwise).
    init(_ a: [Int], _ b: [Int], operation: String) {
        let rank = Swift.max(a.count, b.count)
        let paddedA = [Int](repeating: 1, count: rank - a.count) + a
        let paddedB = [Int](repeating: 1, count: rank - b.count) + b
        var shape = [Int](repeating: 1, count: rank)
        for dimension in 0..<rank {
            let (x, y) = (paddedA[dimension], paddedB[dimension])
            precondition(x == y || x == 1 || y == 1, "\(operation): cannot broadcast \(a) and \(b)")
            shape[dimension] = x == 1 ? y : x
        }
        self.shape = shape

        // Element strides with 0 where an operand repeats, then merge runs of dimensions.
        let rowStridesA = paddedA.rowMajorStrides, rowStridesB = paddedB.rowMajorStrides
        var extents: [Int] = [], stridesA: [Int] = [], stridesB: [Int] = []
        for dimension in 0..<rank where shape[dimension] != 1 {
            let strideA = paddedA[dimension] == 1 ? 0 : rowStridesA[dimension]
            let strideB = paddedB[dimension] == 1 ? 0 : rowStridesB[dimension]
            if let last = extents.indices.last,
               stridesA[last] == strideA * shape[dimension], stridesB[last] == strideB * shape[dimension] {
                extents[last] *= shape[dimension]
                stridesA[last] = strideA
                stridesB[last] = strideB
            } else {
                extents.append(shape[dimension])
                stridesA.append(strideA)
                stridesB.append(strideB)
            }
        }
        if extents.isEmpty { (extents, stridesA, stridesB) = ([1], [0], [0]) }
        self.extents = extents
        self.stridesA = stridesA
        self.stridesB = stridesB
    }

    /// Calls `body(inner, outputOffset, offsetA, offsetB, innerStrideA, innerStrideB)` once per run
    /// of the innermost loop, in row-major output order.
    @inline(__always)
    func forEachRun(_ body: (_ count: Int, _ output: Int, _ a: Int, _ b: Int, _ strideA: Int, _ strideB: Int) -> Void) {
        guard !extents.contains(0) else { return }
        let innermost = extents.count - 1
        let inner = extents[innermost]
        let innerStrideA = stridesA[innermost], innerStrideB = stridesB[innermost]
        if innermost == 0 {
            body(inner, 0, 0, 0, innerStrideA, innerStrideB)
            return
        }
        var index = [Int](repeating: 0, count: innermost)
        var offsetA = 0, offsetB = 0, output = 0
        while true {
            body(inner, output, offsetA, offsetB, innerStrideA, innerStrideB)
            output += inner
            // Advance the outer counters like an odometer.
            var dimension = innermost - 1
            while dimension >= 0 {
                index[dimension] += 1
                offsetA += stridesA[dimension]
                offsetB += stridesB[dimension]
                if index[dimension] < extents[dimension] { break }
                offsetA -= stridesA[dimension] * extents[dimension]
                offsetB -= stridesB[dimension] * extents[dimension]
                index[dimension] = 0
                dimension -= 1
            }
            if dimension < 0 { return }
        }
    }
}
