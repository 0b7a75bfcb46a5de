/// The loops every averaging strategy runs, over flat float32 buffers of equal length `n`
/// (a whole tensor or a chunk of one). Plain loops the compiler vectorises; no allocation.
enum AggregationKernels {
    /// Elements per chunk when a tensor is walked in pieces: 4096 floats (16 KiB) keep a chunk
    /// of the running sum in L1 while every site's matching chunk is added to it.
    static let chunkElements = 4096

    /// `sum[j] += weight · x[j]`, eight lanes at a time (explicit SIMD: the compiler leaves the
    /// plain loop scalar), the tail element by element with the same operations.
    @inline(__always)
    static func accumulate(_ x: UnsafeBufferPointer<Float>, weight: Float, into sum: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == sum.count, "accumulate: \(x.count) values into a sum of \(sum.count)")
        guard let source = x.baseAddress.map(UnsafeRawPointer.init), let target = sum.baseAddress.map(UnsafeMutableRawPointer.init) else { return }
        let weights = SIMD8<Float>(repeating: weight)
        var j = 0
        while j + 8 <= sum.count {
            let offset = j * MemoryLayout<Float>.stride
            let total = target.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                + weights * source.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            target.storeBytes(of: total, toByteOffset: offset, as: SIMD8<Float>.self)
            j += 8
        }
        while j < sum.count {
            sum[j] += weight * x[j]
            j += 1
        }
    }

    /// `sum[j] += weight · (x[j] − origin[j])`: a weighted step from `origin`.
    @inline(__always)
    static func accumulateStep(_ x: UnsafeBufferPointer<Float>, from origin: UnsafeBufferPointer<Float>, weight: Float,
                               into sum: UnsafeMutableBufferPointer<Float>) {
        precondition(x.count == sum.count && origin.count == sum.count, "accumulate step: \(x.count), \(origin.count), \(sum.count)")
        guard let source = x.baseAddress.map(UnsafeRawPointer.init), let start = origin.baseAddress.map(UnsafeRawPointer.init),
              let target = sum.baseAddress.map(UnsafeMutableRawPointer.init) else { return }
        let weights = SIMD8<Float>(repeating: weight)
        var j = 0
        while j + 8 <= sum.count {
            let offset = j * MemoryLayout<Float>.stride
            let step = source.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) - start.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            target.storeBytes(of: target.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) + weights * step,
                              toByteOffset: offset, as: SIMD8<Float>.self)
            j += 8
        }
        while j < sum.count {
            sum[j] += weight * (x[j] - origin[j])
            j += 1
        }
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
    /// exponent bits are all ones; the common (finite) case is decided eight lanes at a time
    /// with compares (SSE2 has no unsigned max), and only a hit is searched element by element.
    static func firstNonFinite(_ x: UnsafeBufferPointer<Float>) -> Int? {
        guard let source = x.baseAddress.map(UnsafeRawPointer.init) else { return nil }
        let exponentMask = SIMD8<UInt32>(repeating: 0x7F80_0000)
        var found = SIMDMask<SIMD8<Int32>>(repeating: false)
        var j = 0
        while j + 8 <= x.count {
            let bits = source.loadUnaligned(fromByteOffset: j * MemoryLayout<Float>.stride, as: SIMD8<UInt32>.self)
            found .|= (bits & exponentMask) .== exponentMask
            j += 8
        }
        guard any(found) || x[j...].contains(where: { !$0.isFinite }) else { return nil }
        return x.firstIndex { !$0.isFinite }
    }

    /// `x[j] = origin[j] + scale · x[j]` (or `scale · x[j]` without an origin), eight lanes at a
    /// time; returns whether every result is finite, checked in the same pass.
    static func scale(_ x: UnsafeMutableBufferPointer<Float>, by scale: Float, addingTo origin: UnsafeBufferPointer<Float>?) -> Bool {
        guard let target = x.baseAddress.map(UnsafeMutableRawPointer.init) else { return true }
        let start = origin?.baseAddress.map(UnsafeRawPointer.init)
        let scales = SIMD8<Float>(repeating: scale)
        let exponentMask = SIMD8<UInt32>(repeating: 0x7F80_0000)
        var found = SIMDMask<SIMD8<Int32>>(repeating: false)
        var j = 0
        while j + 8 <= x.count {
            let offset = j * MemoryLayout<Float>.stride
            var value = scales * target.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            if let start { value = start.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self) + value }
            target.storeBytes(of: value, toByteOffset: offset, as: SIMD8<Float>.self)
            let bits = target.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt32>.self)
            found .|= (bits & exponentMask) .== exponentMask
            j += 8
        }
        var finite = !any(found)
        while j < x.count {
            x[j] = origin.map { $0[j] + scale * x[j] } ?? scale * x[j]
            finite = finite && x[j].isFinite
            j += 1
        }
        return finite
    }
}
