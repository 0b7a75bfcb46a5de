/// Branch-free float32 `exp`, `erf`, `tanh` and `sigmoid` that the compiler vectorises, for the
/// kernels' inner loops (glibc's `expf` costs ≈ 4.5 ns and `erff`/`tanhf` ≈ 20 ns per element here,
/// scalar). Errors are a few float32 ulps, far below the 1e-4 parity tolerances.
enum FastMath {
    /// `eˣ` by Cody–Waite reduction `x = n ln 2 + r`, a degree-6 polynomial for `eʳ` (Cephes'
    /// `expf` coefficients) and `2ⁿ` built in the exponent bits. Inputs are clamped to
    /// `[−87.3, 88.7]`: below, the result is ≈ 1e-38 instead of a denormal or 0; from 127.5 ln 2 ≈
    /// 88.38 (n = 128) it is +inf, 0.34 before float32's own overflow, which is what `sigmoid`
    /// needs (σ(−x) = 1/(1 + inf) = 0 exactly, as float32 rounds it).
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        let x = Swift.min(Swift.max(x, -87.3), 88.7)
        // Round x·log₂e to the nearest integer with the 1.5·2²³ trick (no call to roundf).
        let shifted = x * 1.44269504088896341 + 12582912
        let n = shifted - 12582912
        let r = x - n * 0.693359375 + n * 2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let expR = p * r * r + r + 1
        // n sits in the low mantissa bits of `shifted`; move it into the exponent.
        let twoToN = Float(bitPattern: UInt32(bitPattern: Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000 &+ 127) << 23)
        return expR * twoToN
    }

    /// `σ(x) = 1/(1 + e⁻ˣ)` (clamping inside `exp` keeps it finite for any x).
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        1 / (1 + exp(-x))
    }

    /// `tanh x = 2σ(2x) − 1`.
    @inline(__always)
    static func tanh(_ x: Float) -> Float {
        2 * sigmoid(2 * x) - 1
    }

    /// The error function, Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7), odd-extended.
    @inline(__always)
    static func erf(_ x: Float) -> Float {
        let a = Swift.abs(x)
        let t = 1 / (1 + 0.3275911 * a)
        var p: Float = 1.061405429
        p = p * t - 1.453152027
        p = p * t + 1.421413741
        p = p * t - 0.284496736
        p = p * t + 0.254829592
        let magnitude = 1 - p * t * exp(-a * a)
        return x < 0 ? -magnitude : magnitude
    }

    /// The largest of `count` values (−∞ for none), eight lanes at a time: a scalar `max` loop
    /// carries a dependency through every element (≈ 2.7 ns each here).
    @inline(__always)
    static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(x)
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= count {
            lanes = pointwiseMax(lanes, raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: SIMD8<Float>.self))
            i += 8
        }
        var result = lanes.max()
        while i < count {
            result = Swift.max(result, x[i])
            i += 1
        }
        return result
    }

    /// `Σ x[i]·y[i]` eight lanes at a time (a fixed order, so the same bits on every run).
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        let rawX = UnsafeRawPointer(x), rawY = UnsafeRawPointer(y)
        var lanes = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            let offset = i * MemoryLayout<Float>.stride
            lanes += rawX.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                * rawY.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            i += 8
        }
        var result = lanes.sum()
        while i < count {
            result += x[i] * y[i]
            i += 1
        }
        return result
    }

    /// `Σ x[i]` eight lanes at a time, lanes fixed by index (not by address), so the same inputs
    /// give the same bits in every process. (BLAS's `sasum` peels unaligned elements first: its
    /// summation order, and so its last bit, followed the buffer's address.)
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(x)
        var lanes = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            lanes += raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: SIMD8<Float>.self)
            i += 8
        }
        var result = lanes.sum()
        while i < count {
            result += x[i]
            i += 1
        }
        return result
    }
}
