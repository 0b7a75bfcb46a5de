import Tensor

/// How one hospital's scanners render the same anatomy: contrast, brightness, noise and blur.
///
/// Applied to a canvas as `v' = clamp((v − 0.5) · contrast + 0.5 + offset + noise · n, 0, 1)` after
/// `blurPasses` 3-tap box blurs, with `n` approximately standard normal, then quantised to 8 bits.
public struct ScannerProfile: Sendable, Equatable, Codable {
    /// The contrast multiplier around mid-grey (1 = reference).
    public var contrast: Float
    /// The intensity offset added after contrast (0 = reference), in units of full scale.
    public var offset: Float
    /// The noise standard deviation, in units of full scale.
    public var noise: Float
    /// The number of 3-tap box blur passes (0 = sharp).
    public var blurPasses: Int

    /// The public split's scanner: reference contrast and brightness, light noise, no blur.
    public static let reference = ScannerProfile(contrast: 1, offset: 0, noise: 0.02, blurPasses: 0)

    /// Creates a profile.
    public init(contrast: Float, offset: Float, noise: Float, blurPasses: Int) {
        self.contrast = contrast
        self.offset = offset
        self.noise = noise
        self.blurPasses = blurPasses
    }

    /// The canvas as 8-bit pixels, after blur, contrast, offset and noise drawn from `generator`.
    func rendered(_ canvas: Canvas, generator: inout SeededGenerator) -> [UInt8] {
        var canvas = canvas
        canvas.blur(passes: blurPasses)
        let count = canvas.values.count
        var pixels = [UInt8](repeating: 0, count: count)
        // Three 10-bit uniforms per 32-bit word: their centred sum times 2 has variance 1.
        let unit: Float = 1 / 1024, scale = noise * 2
        for index in 0..<count {
            let word = generator.nextWord()
            let sum = Float(word & 1023) + Float((word >> 10) & 1023) + Float((word >> 20) & 1023)
            let n = (sum * unit - 1.5) * scale
            let value = (canvas.values[index] - 0.5) * contrast + 0.5 + offset + n
            pixels[index] = UInt8(min(max(value * 255 + 0.5, 0), 255))
        }
        return pixels
    }
}
