import Tensor

/// Turns decoded images into the vision tower's input: float32 (3, S, S) with CLIP's normalisation.
///
/// Steps, as HF's `CLIPImageProcessor` (shortest-edge resize + centre crop) with an antialiased filter:
/// 1. samples to [0, 1]: 8-bit × 1/255 (16-bit: ÷ (2^bitsStored − 1)); alpha dropped; grey copied to 3 channels;
/// 2. the central square of side min(rows, columns) resized to S × S with a separable triangle filter
///    whose support widens by the scale factor when downscaling (area-like averaging, no aliasing; PIL's
///    antialiased bilinear);
/// 3. `(x − mean_c) / std_c` with CLIP's mean (0.48145466, 0.4578275, 0.40821073) and std
///    (0.26862954, 0.26130258, 0.27577711).
///
/// ```swift
/// let preprocessor = ImagePreprocessor(imageSize: 64)
/// let pixels = try preprocessor.batch(contentsOf: paths)   // (N, 3, 64, 64)
/// ```
public struct ImagePreprocessor: Sendable {
    /// CLIP's per-channel mean (OpenAI CLIP, also HF's `OPENAI_CLIP_MEAN`).
    public static let clipMean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    /// CLIP's per-channel standard deviation (`OPENAI_CLIP_STD`).
    public static let clipStandardDeviation: [Float] = [0.26862954, 0.26130258, 0.27577711]

    /// The output side S (the model configuration's `image_size`).
    public let imageSize: Int
    /// The per-channel mean subtracted.
    public let mean: [Float]
    /// The per-channel standard deviation divided by.
    public let standardDeviation: [Float]

    /// Creates a preprocessor for `imageSize` × `imageSize` inputs.
    public init(imageSize: Int, mean: [Float] = clipMean, standardDeviation: [Float] = clipStandardDeviation) {
        self.imageSize = imageSize
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// The (3, S, S) values of a one-frame image, channel-major.
    /// - Throws: `DatasetError.imageDecoding(.unsupportedImageLayout)` for several frames, signed samples
    ///   (window DICOM first: ``ImageFile/displayImage(frame:)``) or an empty image.
    public func pixelValues(_ image: DecodedImage) throws(DatasetError) -> [Float] {
        guard image.frames == 1, image.rows > 0, image.columns > 0, !image.isSigned, imageSize > 0 else {
            throw .imageDecoding(.unsupportedImageLayout(
                reason: "preprocessing takes one unsigned frame; got \(image.frames) frame(s) of \(image.rows) × \(image.columns), signed: \(image.isSigned)"))
        }
        let scale: Float = image.bitsAllocated == 8 ? 1 / 255 : 1 / Float((1 << image.bitsStored) - 1)
        let samples = image.samples.floatValues
        let side = min(image.rows, image.columns)
        let top = (image.rows - side) / 2, left = (image.columns - side) / 2
        let rowWeights = Self.filterWeights(input: side, output: imageSize, offset: top)
        let columnWeights = Self.filterWeights(input: side, output: imageSize, offset: left)
        let stride = image.samplesPerPixel
        let colorChannels = image.colorModel == .rgb || image.colorModel == .rgba ? 3 : 1
        var output = [Float](repeating: 0, count: 3 * imageSize * imageSize)
        var horizontal = [Float](repeating: 0, count: image.rows * imageSize)
        for channel in 0..<colorChannels {
            // Columns first: (rows, columns) → (rows, S).
            for row in 0..<image.rows {
                let base = row * image.columns
                for (outputColumn, taps) in columnWeights.enumerated() {
                    var sum: Float = 0
                    for (column, weight) in taps { sum += weight * samples[(base + column) * stride + channel] }
                    horizontal[row * imageSize + outputColumn] = sum * scale
                }
            }
            // Then rows: (rows, S) → (S, S), normalised into every channel this source channel feeds.
            for (outputRow, taps) in rowWeights.enumerated() {
                for outputColumn in 0..<imageSize {
                    var sum: Float = 0
                    for (row, weight) in taps { sum += weight * horizontal[row * imageSize + outputColumn] }
                    for target in colorChannels == 3 ? channel...channel : 0...2 {
                        output[(target * imageSize + outputRow) * imageSize + outputColumn] = (sum - mean[target]) / standardDeviation[target]
                    }
                }
            }
        }
        return output
    }

    /// The batch (N, 3, S, S) of `images`.
    /// - Throws: the errors of ``pixelValues(_:)``.
    public func batch(_ images: [DecodedImage]) throws(DatasetError) -> Tensor {
        try batch(count: images.count) { images[$0] }
    }

    /// The batch (N, 3, S, S) of the image files at `paths` (PNG, JPEG or DICOM; DICOM through its window).
    /// Each file is decoded and reduced to (3, S, S) before the next is read, so the batch's
    /// full-resolution images are never in memory together.
    /// - Throws: the errors of ``ImageFile/init(contentsOf:)``, ``ImageFile/displayImage(frame:)`` and ``pixelValues(_:)``.
    public func batch(contentsOf paths: [String]) throws(DatasetError) -> Tensor {
        try batch(count: paths.count) { index throws(DatasetError) in try ImageFile(contentsOf: paths[index]).displayImage() }
    }

    private func batch(count: Int, image: (Int) throws(DatasetError) -> DecodedImage) throws(DatasetError) -> Tensor {
        var values: [Float] = []
        values.reserveCapacity(count * 3 * imageSize * imageSize)
        for index in 0..<count { values += try pixelValues(try image(index)) }
        return Tensor(shape: [count, 3, imageSize, imageSize], values: values)
    }

    /// For each output index, the (input index, weight) taps of a triangle filter mapping `input`
    /// samples starting at `offset` onto `output` samples; weights sum to 1.
    static func filterWeights(input: Int, output: Int, offset: Int) -> [[(Int, Float)]] {
        let scale = Double(input) / Double(output)
        let support = max(scale, 1)
        return (0..<output).map { index in
            let centre = (Double(index) + 0.5) * scale
            let first = max(Int((centre - support).rounded(.down)), 0)
            let last = min(Int((centre + support).rounded(.up)), input - 1)
            var taps: [(Int, Float)] = []
            var total = 0.0
            for source in first...max(first, last) {
                let weight = max(0, 1 - abs(Double(source) + 0.5 - centre) / support)
                if weight > 0 {
                    taps.append((source + offset, Float(weight)))
                    total += weight
                }
            }
            guard total > 0 else { return [(min(first, input - 1) + offset, 1)] }
            return taps.map { ($0.0, $0.1 / Float(total)) }
        }
    }
}
