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

    /// The image mapped to 8 bits through the linear VOI window of PS3.3 C.11.2.1.2.1, applied to the
    /// rescaled values `x = slope · stored + intercept`:
    ///
    ///     x ≤ c − 0.5 − (w − 1)/2          → 0
    ///     x > c − 0.5 + (w − 1)/2          → 255
    ///     otherwise ((x − (c − 0.5)) / (w − 1) + 0.5) · 255, rounded to the nearest integer
    ///
    /// The result keeps the colour model (a MONOCHROME1 image stays MONOCHROME1; call ``inverted()`` after
    /// windowing to display it as MONOCHROME2) and has `bitsStored` 8.
    /// - Parameters:
    ///   - center: Window Center c (the first value when the file holds several).
    ///   - width: Window Width w, at least 1.
    ///   - slope: Rescale Slope; 1 when the file has none.
    ///   - intercept: Rescale Intercept; 0 when the file has none.
    /// - Throws: `DataError.invalidWindow` when `width < 1` or either is not finite; `DataError.unsupportedImageLayout` when the
    ///   image is not monochrome (VOI windows apply to grey images only).
    public func windowed(center: Double, width: Double, slope: Double = 1, intercept: Double = 0)
        throws(DataError) -> DecodedImage
    {
        guard width >= 1, width.isFinite, center.isFinite else { throw .invalidWindow(center: center, width: width) }
        guard colorModel.isMonochrome else {
            throw .unsupportedImageLayout(reason: "a VOI window applies to monochrome images, not \(colorModel)")
        }
        let lower = center - 0.5 - (width - 1) / 2
        let upper = center - 0.5 + (width - 1) / 2
        let output: [UInt8] = samples.floatValues.map { stored in
            let x = Double(stored) * slope + intercept
            if x <= lower { return 0 }
            if x > upper { return 255 }
            let y = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255
            return UInt8(min(max(y.rounded(), 0), 255))
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
