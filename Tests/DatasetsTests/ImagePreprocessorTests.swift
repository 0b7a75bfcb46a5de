import Tensor
import Testing
@testable import Datasets

/// Preprocessing to the vision tower's input: identity at the same size, antialiased downscaling,
/// grey → 3 channels, CLIP normalisation, centre crop.
struct ImagePreprocessorTests {
    private func grey(_ rows: Int, _ columns: Int, _ value: (Int, Int) -> UInt8) throws -> DecodedImage {
        let samples = (0..<rows * columns).map { value($0 / columns, $0 % columns) }
        return try DecodedImage(rows: rows, columns: columns, colorModel: .monochrome2, samples: .uint8(samples))
    }

    private func normalised(_ value: Float, channel: Int) -> Float {
        (value / 255 - ImagePreprocessor.clipMean[channel]) / ImagePreprocessor.clipStandardDeviation[channel]
    }

    @Test func keepsPixelsAtTheSameSizeAndCopiesGreyToThreeChannels() throws {
        let image = try grey(4, 4) { UInt8($0 * 40 + $1 * 10) }
        let values = try ImagePreprocessor(imageSize: 4).pixelValues(image)
        #expect(values.count == 48)
        for channel in 0..<3 {
            #expect(abs(values[channel * 16 + 6] - normalised(60, channel: channel)) < 1e-5)  // row 1, column 2: 40 + 20
        }
    }

    /// A one-pixel checkerboard halved becomes flat grey (127.5) with an antialiased filter; point
    /// sampling would give pure black or white.
    @Test func averagesWhenDownscaling() throws {
        let board = try grey(64, 64) { ($0 + $1) % 2 == 0 ? 255 : 0 }
        let values = try ImagePreprocessor(imageSize: 32).pixelValues(board)
        let expected = normalised(127.5, channel: 0)
        let worst = values.prefix(32 * 32).map { abs($0 - expected) }.max() ?? 1
        print("checkerboard 64 → 32: max deviation from flat grey \(worst) (normalised units)")
        #expect(worst < 0.05)
    }

    @Test func cropsTheCentreSquareAndKeepsRGBChannels() throws {
        // 2 × 4 RGB: the centre square is columns 1...2; red = 10 · column, green 100, blue 200.
        let samples: [UInt8] = (0..<8).flatMap { index -> [UInt8] in [UInt8(10 * (index % 4)), 100, 200] }
        let image = try DecodedImage(rows: 2, columns: 4, colorModel: .rgb, samples: .uint8(samples))
        let values = try ImagePreprocessor(imageSize: 2).pixelValues(image)
        #expect(abs(values[0] - normalised(10, channel: 0)) < 1e-5 && abs(values[1] - normalised(20, channel: 0)) < 1e-5)
        #expect(abs(values[4] - normalised(100, channel: 1)) < 1e-5 && abs(values[8] - normalised(200, channel: 2)) < 1e-5)
    }

    @Test func buildsBatchesFromMedSynthImages() throws {
        let generator = try MedSynthGenerator(seed: 2, imageSize: 48)
        let images = try (0..<3).map { try generator.sample(split: .publicSplit, index: $0, profile: .reference).image }
        let batch = try ImagePreprocessor(imageSize: 64).batch(images)
        #expect(batch.shape == [3, 3, 64, 64])
        let finite = batch.values.allSatisfy { $0.isFinite }
        #expect(finite)
    }

    @Test func rejectsSignedSamples() throws {
        let signed = try DecodedImage(rows: 1, columns: 2, colorModel: .monochrome2, samples: .int16([-5, 7]))
        #expect(throws: DatasetError.imageDecoding(.unsupportedImageLayout(
            reason: "preprocessing takes one unsigned frame; got 1 frame(s) of 1 × 2, signed: true"))) {
            try ImagePreprocessor(imageSize: 4).pixelValues(signed)
        }
    }
}
