import Testing
@testable import Datasets

/// The conversions from stored values: rescale, VOI window (PS3.3 C.11.2.1.2.1) and inversion.
struct DecodedImageTests {
    private func greyImage(_ samples: PixelSamples, bitsStored: Int? = nil,
                           colorModel: ColorModel = .monochrome2) throws -> DecodedImage {
        try DecodedImage(rows: 1, columns: samples.count, colorModel: colorModel, bitsStored: bitsStored,
                         samples: samples)
    }

    /// Values at and around both edges of the window c = 600, w = 1600 (edges at −200 and 1399), worked by
    /// hand from the standard's formula: ((x − 599.5) / 1599 + 0.5) · 255, rounded.
    @Test func windowsWithTheStandardLinearFunction() throws {
        let image = try greyImage(.int16([-1000, -200, -199, 599, 600, 1398, 1399, 1400, 3000]))
        let windowed = try image.windowed(center: 600, width: 1600)
        #expect(windowed.samples == .uint8([0, 0, 0, 127, 128, 255, 255, 255, 255]))
        #expect(windowed.bitsStored == 8 && windowed.colorModel == .monochrome2)
    }

    /// The window applies to rescaled values: stored 1024 with intercept −1024 is 0 HU, which the
    /// c = 40, w = 400 window maps to ((0 − 39.5) / 399 + 0.5) · 255 = 102.26 → 102.
    @Test func windowsRescaledValues() throws {
        let image = try greyImage(.uint16([1024, 0, 4000]))
        let windowed = try image.windowed(center: 40, width: 400, slope: 1, intercept: -1024)
        #expect(windowed.samples == .uint8([102, 0, 255]))
    }

    /// Width 1 is a threshold at c − 0.5.
    @Test func windowOfWidthOneThresholds() throws {
        let windowed = try greyImage(.int16([99, 100])).windowed(center: 100, width: 1)
        #expect(windowed.samples == .uint8([0, 255]))
    }

    @Test func rejectsInvalidWindows() throws {
        let image = try greyImage(.int16([1, 2]))
        #expect(throws: DataError.invalidWindow(center: 100, width: 0.5)) {
            try image.windowed(center: 100, width: 0.5)
        }
        let rgb = try DecodedImage(rows: 1, columns: 1, colorModel: .rgb, samples: .uint8([1, 2, 3]))
        #expect(throws: DataError.unsupportedImageLayout(reason: "a VOI window or LUT applies to monochrome images, not rgb")) {
            try rgb.windowed(center: 100, width: 10)
        }
    }

    /// MONOCHROME1 inverts within Bits Stored: 12-bit unsigned v → 4095 − v, signed v → −1 − v.
    @Test func invertsWithinBitsStored() throws {
        let unsigned = try greyImage(.uint16([0, 4095, 100]), bitsStored: 12, colorModel: .monochrome1)
        let inverted = unsigned.inverted()
        #expect(inverted.samples == .uint16([4095, 0, 3995]))
        #expect(inverted.colorModel == .monochrome2)
        #expect(inverted.inverted() == unsigned)
        let signed = try greyImage(.int16([-2048, 2047, 0]), bitsStored: 12, colorModel: .monochrome1)
        #expect(signed.inverted().samples == .int16([2047, -2048, -1]))
        let windowed = try unsigned.windowed(center: 2048, width: 4096)
        #expect(windowed.inverted().samples == .uint8(windowed.floatValues().map { 255 - UInt8($0) }))
    }

    @Test func rescalesInFloat32() throws {
        let image = try greyImage(.int16([0, 4, -2]))
        #expect(image.rescaledValues(slope: 2.5, intercept: -10) == [-10, 0, -15])
        #expect(image.floatValues() == [0, 4, -2])
    }

    @Test func rejectsSampleCountMismatch() {
        #expect(throws: DataError.sampleCountMismatch(found: 5, expected: 4)) {
            try DecodedImage(rows: 2, columns: 2, colorModel: .monochrome2, samples: .uint8([1, 2, 3, 4, 5]))
        }
        #expect(throws: DataError.unsupportedImageLayout(reason: "bits stored 9 outside 1...8 for 8-bit samples")) {
            try DecodedImage(rows: 1, columns: 1, colorModel: .monochrome2, bitsStored: 9, samples: .uint8([1]))
        }
    }
}
