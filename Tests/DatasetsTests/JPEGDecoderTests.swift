import Foundation
import Testing
@testable import Datasets

/// Baseline JPEG decoding against djpeg's output (Fixtures/jpeg/make_jpeg_fixtures.sh) and libjpeg's
/// error recovery on corrupt streams.
struct JPEGDecoderTests {
    private static func fixture(_ name: String) throws -> [UInt8] {
        let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return [UInt8](try Data(contentsOf: fixtures.appendingPathComponent("jpeg/\(name)")))
    }

    /// The samples of a binary PGM/PPM (P5/P6, maxval 255) as djpeg writes them.
    private static func netpbmSamples(_ bytes: [UInt8]) throws -> (width: Int, height: Int, samples: [UInt8]) {
        var fields: [String] = []
        var index = 0
        var current = ""
        while fields.count < 4, index < bytes.count {
            let character = Character(UnicodeScalar(bytes[index]))
            index += 1
            if character.isWhitespace {
                if !current.isEmpty { fields.append(current); current = "" }
            } else {
                current.append(character)
            }
        }
        let width = try #require(Int(fields[1]))
        let height = try #require(Int(fields[2]))
        return (width, height, Array(bytes[index...]))
    }

    @Test("Decodes as djpeg does", arguments: [("gradient_grey", ColorModel.monochrome2, "pgm"),
                                               ("gradient_rgb", .rgb, "ppm")])
    func decodesAsDjpeg(name: String, colorModel: ColorModel, referenceExtension: String) throws {
        let image = try JPEGDecoder.decode(try Self.fixture("\(name).jpg"), file: "\(name).jpg")
        let reference = try Self.netpbmSamples(try Self.fixture("\(name).\(referenceExtension)"))
        #expect(image.colorModel == colorModel)
        #expect(image.rows == reference.height && image.columns == reference.width)
        #expect(image.samples == .uint8(reference.samples))
    }

    /// A stream cut in its entropy-coded data is refused (libjpeg would pad it with grey and succeed).
    @Test func rejectsTruncatedStream() throws {
        let bytes = try Self.fixture("gradient_rgb.jpg")
        #expect(throws: DataError.jpegDecodingFailed(file: "cut.jpg", message: "Premature end of JPEG file")) {
            try JPEGDecoder.decode(Array(bytes.prefix(bytes.count - 100)), file: "cut.jpg")
        }
    }

    /// Stray bytes between two segments change no pixel (PIL and djpeg decode through them).
    @Test func decodesThroughStrayBytesBetweenSegments() throws {
        var bytes = try Self.fixture("gradient_grey.jpg")
        let frameMarker = try #require((0..<bytes.count - 1).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        let original = try JPEGDecoder.decode(bytes, file: "g.jpg")
        bytes.insert(contentsOf: [0x00, 0x00], at: frameMarker)
        #expect(try JPEGDecoder.decode(bytes, file: "stray.jpg") == original)
    }

    @Test func rejectsNonJPEGBytes() {
        #expect(throws: DataError.jpegDecodingFailed(file: "r.jpg", message: "Not a JPEG file: starts with 0x41 0x41")) {
            try JPEGDecoder.decode([UInt8](repeating: 0x41, count: 100), file: "r.jpg")
        }
        #expect(throws: DataError.jpegDecodingFailed(file: "e.jpg", message: "Empty input file")) {
            try JPEGDecoder.decode([], file: "e.jpg")
        }
    }

    /// Every prefix and many byte flips of a valid stream decode or throw; libjpeg never ends the process.
    @Test func survivesCorruption() throws {
        let bytes = try Self.fixture("gradient_grey.jpg")
        for length in 0..<bytes.count {
            _ = try? JPEGDecoder.decode(Array(bytes.prefix(length)), file: "prefix.jpg")
        }
        var state: UInt64 = 7  // explicit seed
        for _ in 0..<300 {
            var corrupted = bytes
            state = state &* 6364136223846793005 &+ 1442695040888963407
            corrupted[Int((state >> 33) % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: state >> 17)
            _ = try? JPEGDecoder.decode(corrupted, file: "flip.jpg")
        }
    }
}
