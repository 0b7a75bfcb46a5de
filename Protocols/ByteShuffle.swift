/// Byte-plane shuffle of fixed-width elements, the transform that lets zstd compress floats:
/// the sign and exponent bytes, nearly constant across a tensor, end up next to each other.
///
/// For `n` elements of `w` bytes (`x: (n, w)` as bytes, row-major), the shuffled bytes are
/// `xᵀ: (w, n)`: `shuffled[k·n + i] = x[i·w + k]` for byte `k` in `0..<w`, element `i` in
/// `0..<n` — all bytes 0 of every element, then all bytes 1, and so on. Little-endian floats
/// put the mantissa's low byte in plane 0 and the sign and high exponent bits in plane `w − 1`.
enum ByteShuffle {
    /// `output[k·n + i] = input[i·w + k]`.
    /// - Precondition: `input.count == output.count`, a multiple of `width`.
    static func shuffle(_ input: UnsafeRawBufferPointer, width: Int, into output: UnsafeMutableRawBufferPointer) {
        precondition(input.count == output.count && input.count % width == 0, "byte shuffle: \(input.count) bytes, width \(width)")
        let n = input.count / width
        guard n > 0, let source = input.baseAddress?.assumingMemoryBound(to: UInt8.self),
              let target = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        for k in 0..<width {
            let plane = target + k * n
            for i in 0..<n { plane[i] = source[i &* width &+ k] }
        }
    }

    /// The inverse: `output[i·w + k] = input[k·n + i]`.
    /// - Precondition: `input.count == output.count`, a multiple of `width`.
    static func unshuffle(_ input: UnsafeRawBufferPointer, width: Int, into output: UnsafeMutableRawBufferPointer) {
        precondition(input.count == output.count && input.count % width == 0, "byte unshuffle: \(input.count) bytes, width \(width)")
        let n = input.count / width
        guard n > 0, let source = input.baseAddress?.assumingMemoryBound(to: UInt8.self),
              let target = output.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        for k in 0..<width {
            let plane = source + k * n
            for i in 0..<n { target[i &* width &+ k] = plane[i] }
        }
    }
}
