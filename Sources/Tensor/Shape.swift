/// Shape arithmetic shared by the kernels. A shape is `[Int]`, outermost dimension first.
extension Array where Element == Int {
    /// The number of elements a tensor of this shape holds (1 for a scalar).
    @inlinable public var elementCount: Int {
        var count = 1
        for extent in self { count *= extent }
        return count
    }

    /// Row-major strides: the distance in elements between neighbours along each dimension.
    public var rowMajorStrides: [Int] {
        var strides = [Int](repeating: 1, count: count)
        var stride = 1
        for dimension in indices.reversed() {
            strides[dimension] = stride
            stride *= self[dimension]
        }
        return strides
    }

    /// A dimension index that may count from the end (`-1` is the last), made non-negative.
    func normalizedAxis(_ axis: Int) -> Int {
        let normalized = axis < 0 ? axis + count : axis
        precondition(normalized >= 0 && normalized < count, "axis \(axis) out of range for shape \(self)")
        return normalized
    }

    /// `(outer, extent, inner)`: the shape seen as three dimensions around `axis`, the form every
    /// axis-wise kernel (reductions, softmax, concat, split) loops over.
    func split(around axis: Int) -> (outer: Int, extent: Int, inner: Int) {
        let axis = normalizedAxis(axis)
        return (Array(self[..<axis]).elementCount, self[axis], Array(self[(axis + 1)...]).elementCount)
    }
}
