/// A decoded image: its geometry, how to read its samples, and the stored sample values.
///
/// Shape (F, R, C, S) = (frames, rows, columns, samplesPerPixel), row-major and interleaved, as pydicom's
/// `pixel_array` lays it out. Values are as stored in the file (no rescale, no window); the conversions in
/// `DecodedImage+Conversions.swift` produce Float32 or 8-bit views for the model.
public struct DecodedImage: Sendable, Equatable {
    /// The number of rows (image height).
    public let rows: Int
    /// The number of columns (image width).
    public let columns: Int
    /// The number of frames; 1 for PNG and JPEG.
    public let frames: Int
    /// How to read the samples of one pixel; fixes `samplesPerPixel`.
    public let colorModel: ColorModel
    /// The number of significant bits per sample (DICOM Bits Stored), at most `bitsAllocated`.
    public let bitsStored: Int
    /// The sample values, (F, R, C, S) row-major.
    public let samples: PixelSamples

    /// Creates an image after checking that `samples` holds F × R × C × S values.
    /// - Parameters:
    ///   - rows: The number of rows.
    ///   - columns: The number of columns.
    ///   - frames: The number of frames.
    ///   - colorModel: How to read the samples of one pixel.
    ///   - bitsStored: The significant bits per sample; defaults to the full sample width.
    ///   - samples: The values, (F, R, C, S) row-major.
    /// - Throws: `DataError.sampleCountMismatch` when the count is wrong;
    ///   `DataError.unsupportedImageLayout` when `bitsStored` is outside 1...bitsAllocated.
    public init(rows: Int, columns: Int, frames: Int = 1, colorModel: ColorModel, bitsStored: Int? = nil,
                samples: PixelSamples) throws(DataError) {
        let extents = [frames, rows, columns, colorModel.samplesPerPixel]
        let expected = extents.reduce(Optional(1)) { product, extent in
            guard let product, extent >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            return overflow ? nil : next
        }
        guard let expected, samples.count == expected else {
            throw .sampleCountMismatch(found: samples.count, expected: expected ?? Int.max)
        }
        let bits = bitsStored ?? samples.bitsAllocated
        guard (1...samples.bitsAllocated).contains(bits) else {
            throw .unsupportedImageLayout(
                reason: "bits stored \(bits) outside 1...\(samples.bitsAllocated) for \(samples.bitsAllocated)-bit samples")
        }
        self.rows = rows
        self.columns = columns
        self.frames = frames
        self.colorModel = colorModel
        self.bitsStored = bits
        self.samples = samples
    }

    /// The most bytes of decoded samples a decoder allocates for one image (1 GiB), so that a small
    /// hostile file cannot declare a 65535 × 65535 image and exhaust memory.
    public static let maximumDecodedBytes = 1 << 30

    /// The number of samples per pixel (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA).
    public var samplesPerPixel: Int { colorModel.samplesPerPixel }

    /// The bits each sample occupies: 8 or 16.
    public var bitsAllocated: Int { samples.bitsAllocated }

    /// Whether samples are signed (DICOM Pixel Representation 1).
    public var isSigned: Bool { samples.isSigned }

    /// The shape (F, R, C, S) of `samples`.
    public var shape: [Int] { [frames, rows, columns, samplesPerPixel] }
}
