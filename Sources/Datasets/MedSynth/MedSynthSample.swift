/// One generated image and every text product made from it.
public struct MedSynthSample: Sendable {
    /// The ground truth.
    public let study: Study
    /// The side length in pixels.
    public let imageSize: Int
    /// The 8-bit grey pixels, (S, S) row-major.
    public let pixels: [UInt8]
    /// The image's path relative to its split's directory, e.g. `images/medsynth-public-000003.png`.
    public let imagePath: String
    /// The short report (the caption).
    public let report: String
    /// The LLaVA-Med instruction sample, with extended answers.
    public let instruct: InstructRecord
    /// The VQA items (closed and open).
    public let vqaItems: [VQAItem]

    /// The image as a one-frame MONOCHROME2 8-bit image.
    public var image: DecodedImage {
        get throws(DataError) {
            try DecodedImage(rows: imageSize, columns: imageSize, colorModel: .monochrome2, samples: .uint8(pixels))
        }
    }
}
