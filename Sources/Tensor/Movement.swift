/// Shape and data movement: reshape (a free view), permute, concatenate, slice, split, gather
/// (embedding lookup) and index-put (rows written at positions).
///
/// Only `reshaped` shares values; everything else copies, and its backward moves the gradient
/// back the inverse way (permute ↔ inverse permute, slice ↔ pad, gather ↔ scatter-add).
extension Tensor {
    /// The same values under another shape (one extent may be -1: inferred). No copy.
    /// - Precondition: the element counts agree.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var newShape = newShape
        if let inferred = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != inferred }.map(\.element).elementCount
            precondition(known > 0 && count % known == 0, "reshape: cannot fit \(shape) into \(newShape)")
            newShape[inferred] = count / known
        }
        precondition(newShape.elementCount == count, "reshape: cannot fit \(shape) into \(newShape)")
        return Tensor(shape: newShape, values: values).recorded(operation: "reshape", from: [self]) { dy in
            self.accumulateGradient(dy)
        }
    }

    /// The dimensions reordered: result dimension `d` is input dimension `axes[d]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permute: \(axes) is not a permutation of \(rank) axes")
        let newShape = axes.map { shape[$0] }
        let inputStrides = shape.rowMajorStrides
        let y = Tensor.gathered(values, shape: newShape, strides: axes.map { inputStrides[$0] })
        var inverse = [Int](repeating: 0, count: rank)
        for (position, axis) in axes.enumerated() { inverse[axis] = position }
        return Tensor(shape: newShape, values: y).recorded(operation: "permute", from: [self]) { dy in
            let outputStrides = newShape.rowMajorStrides
            self.accumulateGradient(Tensor.gathered(dy, shape: self.shape, strides: inverse.map { outputStrides[$0] }))
        }
    }

    /// The last two dimensions swapped (a copy).
    public func transposed() -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(rank - 1, rank - 2)
        return permuted(axes)
    }

    /// Reads `source` at offsets `Σ index[d]·strides[d]` for every index of `shape`, row-major.
    static func gathered(_ source: [Float], shape: [Int], strides: [Int]) -> [Float] {
        var result = [Float](repeating: 0, count: shape.elementCount)
        guard !result.isEmpty else { return result }
        guard let innermost = shape.indices.last else { return source }
        let inner = shape[innermost], innerStride = strides[innermost]
        source.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { y in
                var index = [Int](repeating: 0, count: innermost)
                var offset = 0, output = 0
                while true {
                    for j in 0..<inner { y[output + j] = x[offset + j * innerStride] }
                    output += inner
                    var dimension = innermost - 1
                    while dimension >= 0 {
                        index[dimension] += 1
                        offset += strides[dimension]
                        if index[dimension] < shape[dimension] { break }
                        offset -= strides[dimension] * shape[dimension]
                        index[dimension] = 0
                        dimension -= 1
                    }
                    if dimension < 0 { break }
                }
            }
        }
        return result
    }

    /// Tensors joined along `axis`; all other extents must agree.
    public static func concatenated(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate: no tensors")
        let first = tensors[0]
        let axis = first.shape.normalizedAxis(axis)
        for tensor in tensors {
            precondition(tensor.rank == first.rank
                         && tensor.shape.enumerated().allSatisfy { $0.offset == axis || $0.element == first.shape[$0.offset] },
                         "concatenate: \(tensor.shape) does not fit \(first.shape) along axis \(axis)")
        }
        let (outer, _, inner) = first.shape.split(around: axis)
        let widths = tensors.map { $0.shape[axis] * inner }
        let total = widths.reduce(0, +)
        var y = [Float](repeating: 0, count: outer * total)
        var start = 0
        for (tensor, width) in zip(tensors, widths) {
            tensor.values.withUnsafeBufferPointer { x in
                y.withUnsafeMutableBufferPointer { y in
                    for o in 0..<outer {
                        for i in 0..<width { y[o * total + start + i] = x[o * width + i] }
                    }
                }
            }
            start += width
        }
        var newShape = first.shape
        newShape[axis] = total / Swift.max(inner, 1)
        return Tensor(shape: newShape, values: y).recorded(operation: "concat", from: tensors) { dy in
            var start = 0
            for (tensor, width) in zip(tensors, widths) {
                if tensor.requiresGradient {
                    tensor.withGradient { dx in
                        for o in 0..<outer {
                            for i in 0..<width { dx[o * width + i] += dy[o * total + start + i] }
                        }
                    }
                }
                start += width
            }
        }
    }

    /// The elements at positions `range` along `axis` (a copy).
    public func sliced(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = shape.normalizedAxis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "slice: \(range) out of bounds for axis \(axis) of \(shape)")
        let (outer, n, inner) = shape.split(around: axis)
        let width = range.count * inner, offset = range.lowerBound * inner
        var y = [Float](repeating: 0, count: outer * width)
        values.withUnsafeBufferPointer { x in
            for o in 0..<outer {
                for i in 0..<width { y[o * width + i] = x[o * n * inner + offset + i] }
            }
        }
        var newShape = shape
        newShape[axis] = range.count
        return Tensor(shape: newShape, values: y).recorded(operation: "slice", from: [self]) { dy in
            self.withGradient { dx in
                for o in 0..<outer {
                    for i in 0..<width { dx[o * n * inner + offset + i] += dy[o * width + i] }
                }
            }
        }
    }

    /// Consecutive pieces along `axis` with the given extents (they must add up to the axis).
    public func split(_ sizes: [Int], alongAxis axis: Int) -> [Tensor] {
        let axis = shape.normalizedAxis(axis)
        precondition(sizes.reduce(0, +) == shape[axis], "split: \(sizes) do not add up to axis \(axis) of \(shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliced(alongAxis: axis, start..<(start + size))
        }
    }

    /// Rows of a `(V, C)` table picked by `indices` (an embedding lookup): result `indexShape + [C]`.
    /// Backward scatter-adds each row's gradient into the table row it came from.
    /// - Precondition: every index is in `0..<V`.
    public func gatheringRows(_ indices: [Int], indexShape: [Int]? = nil) -> Tensor {
        precondition(rank == 2, "gather: the table must be (V, C), got \(shape)")
        let (rows, width) = (shape[0], shape[1])
        precondition(indices.allSatisfy { $0 >= 0 && $0 < rows }, "gather: an index is outside 0..<\(rows)")
        var y = [Float](repeating: 0, count: indices.count * width)
        values.withUnsafeBufferPointer { table in
            y.withUnsafeMutableBufferPointer { y in
                for (position, row) in indices.enumerated() {
                    for i in 0..<width { y[position * width + i] = table[row * width + i] }
                }
            }
        }
        return Tensor(shape: (indexShape ?? [indices.count]) + [width], values: y).recorded(operation: "gather", from: [self]) { dy in
            self.withGradient { dTable in
                for (position, row) in indices.enumerated() {
                    for i in 0..<width { dTable[row * width + i] += dy[position * width + i] }
                }
            }
        }
    }

    /// A copy of this `(…, C)` tensor seen as rows of `C`, with the rows at `positions` replaced by
    /// the rows of `replacement` `(P, C)` (image features written into token embeddings).
    /// Backward: the replaced rows' gradient goes to `replacement`, the rest to `self`.
    /// - Precondition: `positions` are distinct and in range; `replacement` has one row each.
    public func puttingRows(_ replacement: Tensor, at positions: [Int]) -> Tensor {
        let width = shape.last ?? 1
        let rows = count / Swift.max(width, 1)
        precondition(replacement.count == positions.count * width,
                     "index-put: \(positions.count) positions for replacement \(replacement.shape) into rows of \(width)")
        precondition(positions.allSatisfy { $0 >= 0 && $0 < rows } && Set(positions).count == positions.count,
                     "index-put: positions must be distinct rows in 0..<\(rows)")
        var y = values
        replacement.values.withUnsafeBufferPointer { r in
            y.withUnsafeMutableBufferPointer { y in
                for (index, row) in positions.enumerated() {
                    for i in 0..<width { y[row * width + i] = r[index * width + i] }
                }
            }
        }
        return Tensor(shape: shape, values: y).recorded(operation: "index-put", from: [self, replacement]) { dy in
            if self.requiresGradient {
                var passed = dy
                for row in positions {
                    for i in 0..<width { passed[row * width + i] = 0 }
                }
                self.accumulateGradient(passed)
            }
            if replacement.requiresGradient {
                replacement.withGradient { dr in
                    for (index, row) in positions.enumerated() {
                        for i in 0..<width { dr[index * width + i] += dy[row * width + i] }
                    }
                }
            }
        }
    }
}
