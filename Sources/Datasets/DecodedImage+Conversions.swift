import Foundation

/// Conversions from stored values to what the model consumes: Float32, the DICOM modality rescale,
/// the DICOM VOI window to 8 bits, and MONOCHROME1 inversion.
extension DecodedImage {
    /// The stored values as Float32, (F, R, C, S) row-major.
    public func floatValues() -> [Float] {
        samples.floatValues
    }

    /// The stored values after the modality rescale `y = slope · x + intercept` (DICOM Rescale Slope and
    /// Intercept, PS3.3 C.11.1.1.2), e.g. Hounsfield units for CT.
    ///
    /// Computed in Float32 with a separate multiply and add, as pydicom's reference
    /// (`px.astype(float32) * slope + intercept`) does, so the results match it exactly.
    /// - Parameters:
    ///   - slope: Rescale Slope; 1 when the file has none.
    ///   - intercept: Rescale Intercept; 0 when the file has none.
    public func rescaledValues(slope: Double, intercept: Double) -> [Float] {
        let slope = Float(slope)
        let intercept = Float(intercept)
        return samples.floatValues.map { value in
            let scaled = value * slope
            return scaled + intercept
        }
    }

    /// The image mapped to 8 bits through the VOI window of PS3.3 C.11.2.1.2–3, applied to the rescaled
    /// values `x = slope · stored + intercept`. With `.linear` (the default):
    ///
    ///     x ≤ c − 0.5 − (w − 1)/2          → 0
    ///     x > c − 0.5 + (w − 1)/2          → 255
    ///     otherwise ((x − (c − 0.5)) / (w − 1) + 0.5) · 255, rounded to the nearest integer
    ///
    /// `.linearExact` is the same with c and w in place of c − 0.5 and w − 1; `.sigmoid` is
    /// 255 / (1 + exp(−4 (x − c) / w)). These are pydicom's `apply_windowing` scaled to 0...255.
    ///
    /// The result keeps the colour model (a MONOCHROME1 image stays MONOCHROME1; call ``inverted()`` after
    /// windowing to display it as MONOCHROME2) and has `bitsStored` 8.
    /// - Parameters:
    ///   - center: Window Center c (the first value when the file holds several).
    ///   - width: Window Width w: at least 1 for `.linear`, above 0 for the others.
    ///   - slope: Rescale Slope; 1 when the file has none.
    ///   - intercept: Rescale Intercept; 0 when the file has none.
    ///   - function: VOI LUT Function.
    /// - Throws: `DataError.invalidWindow` for a width out of range or a value that is not finite;
    ///   `DataError.unsupportedImageLayout` when the image is not monochrome (VOI windows apply to grey images only).
    public func windowed(center: Double, width: Double, slope: Double = 1, intercept: Double = 0,
                         function: VOILUTFunction = .linear) throws(DataError) -> DecodedImage
    {
        guard center.isFinite, function.accepts(width: width) else {
            throw .invalidWindow(center: center, width: width)
        }
        let (c, w) = function == .linear ? (center - 0.5, width - 1) : (center, width)
        return try mappedToDisplay(slope: slope, intercept: intercept) { x in
            if function == .sigmoid {
                return 255 / (1 + exp(-4 * (x - center) / width))
            }
            if x <= c - w / 2 { return 0 }
            if x > c + w / 2 { return 255 }
            return ((x - c) / w + 0.5) * 255
        }
    }

    /// The image mapped to 8 bits through a VOI LUT (PS3.3 C.11.2.1.1), applied to the rescaled values
    /// `x = slope · stored + intercept` as pydicom's `apply_voi` does: entry ⌊x − first⌋, clamped to the
    /// table; an entry e of n bits displays as e · 255 / (2ⁿ − 1), rounded.
    /// - Throws: `DataError.unsupportedImageLayout` when the image is not monochrome.
    public func lookedUp(through lut: VOILUT, slope: Double = 1, intercept: Double = 0) throws(DataError) -> DecodedImage {
        let top = Double((1 << lut.bitsPerEntry) - 1)
        let first = Double(lut.firstMappedValue)
        let last = lut.entries.count - 1
        return try mappedToDisplay(slope: slope, intercept: intercept) { x in
            // `!(x >= first)` also sends NaN to the first entry.
            let index = !(x >= first) ? 0 : x - first >= Double(last) ? last : Int((x - first).rounded(.down))
            return Double(lut.entries[index]) * 255 / top
        }
    }

    /// Each sample's rescaled value through `display` (0...255, clamped and rounded to the nearest
    /// integer) as an 8-bit image of the same colour model.
    private func mappedToDisplay(slope: Double, intercept: Double, _ display: (Double) -> Double) throws(DataError) -> DecodedImage {
        guard colorModel.isMonochrome else {
            throw .unsupportedImageLayout(reason: "a VOI window or LUT applies to monochrome images, not \(colorModel)")
        }
        let output: [UInt8] = samples.floatValues.map { stored in
            let y = display(Double(stored) * slope + intercept)
            return y >= 255 ? 255 : y > 0 ? UInt8(y.rounded()) : 0
        }
        return try DecodedImage(rows: rows, columns: columns, frames: frames, colorModel: colorModel,
                                bitsStored: 8, samples: .uint8(output))
    }

    /// The image with every sample reflected within its stored range, `v' = min + max − v`, where
    /// [min, max] is the range of a `bitsStored`-bit integer of the image's signedness (255 − v for 8-bit
    /// unsigned, −1 − v for signed). MONOCHROME1 becomes MONOCHROME2 and back; other models keep their
    /// name, every sample being reflected.
    public func inverted() -> DecodedImage {
        let reflectedModel: ColorModel = switch colorModel {
        case .monochrome1: .monochrome2
        case .monochrome2: .monochrome1
        default: colorModel
        }
        // min + max is 2^bitsStored − 1 for unsigned and −1 for two's complement samples.
        let invertedSamples: PixelSamples
        switch samples {
        case .uint8(let values):
            let sum = UInt8(truncatingIfNeeded: (1 << bitsStored) - 1)
            invertedSamples = .uint8(values.map { sum &- $0 })
        case .uint16(let values):
            let sum = UInt16(truncatingIfNeeded: (1 << bitsStored) - 1)
            invertedSamples = .uint16(values.map { sum &- $0 })
        case .int8(let values):
            invertedSamples = .int8(values.map { -1 &- $0 })
        case .int16(let values):
            invertedSamples = .int16(values.map { -1 &- $0 })
        }
        return DecodedImage(unchecked: self, colorModel: reflectedModel, samples: invertedSamples)
    }

    /// Copies the geometry of `image` with new samples of the same count and colour model width.
    private init(unchecked image: DecodedImage, colorModel: ColorModel, samples: PixelSamples) {
        self.rows = image.rows
        self.columns = image.columns
        self.frames = image.frames
        self.colorModel = colorModel
        self.bitsStored = image.bitsStored
        self.samples = samples
    }
}
