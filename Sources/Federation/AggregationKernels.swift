/// The loops every averaging strategy runs, over flat float32 buffers of equal length `n`
/// (a whole tensor or a chunk of one). Plain loops the compiler vectorises; no allocation.
enum AggregationKernels {
    /// Elements per chunk when a tensor is walked in pieces: 4096 floats (16 KiB) keep a chunk
    /// of the running sum in L1 while every site's matching chunk is added to it.
    static let chunkElements = 4096

    /// `sum[j] += weight · x[j]`.
    @inline(__always)
    static func accumulate(_ x: UnsafeBufferPointer<Float>, weight: Float, into sum: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == sum.count, "accumulate: \(x.count) values into a sum of \(sum.count)")
        for j in 0..<sum.count { sum[j] += weight * x[j] }
    }

    /// `sum[j] += weight · (x[j] − origin[j])`: a weighted step from `origin`.
    @inline(__always)
    static func accumulateStep(_ x: UnsafeBufferPointer<Float>, from origin: UnsafeBufferPointer<Float>, weight: Float,
                               into sum: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == sum.count && origin.count == sum.count, "accumulate step: \(x.count), \(origin.count), \(sum.count)")
        for j in 0..<sum.count { sum[j] += weight * (x[j] - origin[j]) }
    }

    /// `Σ_j (x[j] − origin[j])²`, summed in Double.
    static func squaredDistance(_ x: UnsafeBufferPointer<Float>, from origin: UnsafeBufferPointer<Float>) -> Double {
        var total = 0.0
        for j in 0..<x.count {
            let difference = Double(x[j]) - Double(origin[j])
            total += difference * difference
        }
        return total
    }

    /// The first index whose value is NaN or ±Inf, or nil. A float is non-finite exactly when its
    /// exponent bits are all ones, so one max-reduction over `bits & 0x7F80_0000` decides the
    /// common (finite) case at memory speed; only a hit is searched element by element.
    static func firstNonFinite(_ x: UnsafeBufferPointer<Float>) -> Int? {
        let exponentMask: UInt32 = 0x7F80_0000
        var largest: UInt32 = 0
        for j in 0..<x.count { largest = max(largest, x[j].bitPattern & exponentMask) }
        guard largest == exponentMask else { return nil }
        return x.firstIndex { !$0.isFinite }
    }
}
