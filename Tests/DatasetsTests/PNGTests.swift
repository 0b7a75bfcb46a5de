import Foundation
import Testing
@testable import Datasets

/// PNG decoding and encoding through libpng, checked against PNGs written by hand (stored deflate
/// blocks, no libpng) and against Python's zlib reading the encoder's output.
struct PNGTests {
    /// Samples from a fixed-seed linear congruential generator, so round trips cover the full range.
    private static func samples(count: Int, seed: UInt64) -> [UInt16] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt16(truncatingIfNeeded: state >> 40)
        }
    }

    @Test("Encoding then decoding gives the same samples",
          arguments: [(ColorModel.monochrome2, 8), (.monochromeAlpha, 8), (.rgb, 8), (.rgba, 8), (.monochrome2, 16),
                      (.rgb, 16)])
    func roundTripsExactly(colorModel: ColorModel, bits: Int) throws {
        let (rows, columns) = (23, 37)
        let values = Self.samples(count: rows * columns * colorModel.samplesPerPixel, seed: UInt64(bits))
        let samples: PixelSamples = bits == 8 ? .uint8(values.map { UInt8(truncatingIfNeeded: $0) }) : .uint16(values)
        let image = try DecodedImage(rows: rows, columns: columns, colorModel: colorModel, samples: samples)
        let decoded = try PNGDecoder.decode(try PNGEncoder.encode(image), file: "roundtrip.png")
        #expect(decoded == image)
    }

    /// PNG stores 16-bit samples big endian; the decoder returns their values (0x0102 is 258, not 513).
    @Test func decodesBigEndianSixteenBitSamples() throws {
        let values: [UInt16] = [0x0102, 0xFFFF, 0, 0x8000, 1, 0x1234]
        let rows = [values[0..<3], values[3..<6]].map { row in row.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }
        let png = HandWrittenPNG.encode(width: 3, height: 2, bitDepth: 16, colorType: 0, rows: rows)
        let image = try PNGDecoder.decode(png, file: "hand16.png")
        #expect(image.colorModel == .monochrome2)
        #expect(image.samples == .uint16(values))
    }

    @Test func decodesHandWrittenEightBitLayouts() throws {
        let rgb = HandWrittenPNG.encode(width: 2, height: 1, bitDepth: 8, colorType: 2, rows: [[1, 2, 3, 250, 251, 252]])
        #expect(try PNGDecoder.decode(rgb, file: "rgb.png")
            == DecodedImage(rows: 1, columns: 2, colorModel: .rgb, samples: .uint8([1, 2, 3, 250, 251, 252])))
        let rgba = HandWrittenPNG.encode(width: 1, height: 2, bitDepth: 8, colorType: 6, rows: [[9, 8, 7, 6], [5, 4, 3, 2]])
        #expect(try PNGDecoder.decode(rgba, file: "rgba.png")
            == DecodedImage(rows: 2, columns: 1, colorModel: .rgba, samples: .uint8([9, 8, 7, 6, 5, 4, 3, 2])))
        let grey = HandWrittenPNG.encode(width: 3, height: 1, bitDepth: 8, colorType: 0, rows: [[0, 128, 255]])
        #expect(try PNGDecoder.decode(grey, file: "grey.png")
            == DecodedImage(rows: 1, columns: 3, colorModel: .monochrome2, samples: .uint8([0, 128, 255])))
    }

    /// Colour-space chunks do not change the samples (libpng alone would read 64 as 136 under gAMA 1.0, and
    /// 16384 as 3104 in a 16-bit file with an sRGB chunk).
    @Test func ignoresColorSpaceChunks() throws {
        let linearGamma = HandWrittenPNG.encode(width: 4, height: 1, bitDepth: 8, colorType: 0, rows: [[0, 64, 128, 255]],
                                                ancillary: [("gAMA", [0, 1, 0x86, 0xA0])])
        #expect(try PNGDecoder.decode(linearGamma, file: "gamma1.png").samples == .uint8([0, 64, 128, 255]))
        let sRGB = HandWrittenPNG.encode(width: 2, height: 1, bitDepth: 16, colorType: 0, rows: [[0x40, 0, 0x80, 0]],
                                         ancillary: [("sRGB", [0]), ("cHRM", [UInt8](repeating: 1, count: 32))])
        #expect(try PNGDecoder.decode(sRGB, file: "srgb16.png").samples == .uint16([0x4000, 0x8000]))
    }

    /// 16-bit images with alpha come back as stored, not premultiplied (the simplified API would read
    /// grey 0x4000 under alpha 0x8000 as 0x2000): grey + alpha, RGBA, and grey whose tRNS colour
    /// becomes an alpha of 0 (others 0xFFFF).
    @Test func decodesSixteenBitAlphaAsStored() throws {
        let ga = HandWrittenPNG.encode(width: 2, height: 1, bitDepth: 16, colorType: 4, rows: [[0x40, 0x00, 0x80, 0x00, 0xFF, 0xFE, 0x00, 0x01]])
        let greyAlpha = try PNGDecoder.decode(ga, file: "ga16.png")
        #expect(greyAlpha.colorModel == .monochromeAlpha)
        #expect(greyAlpha.samples == .uint16([0x4000, 0x8000, 0xFFFE, 0x0001]))

        let rgba = HandWrittenPNG.encode(width: 1, height: 2, bitDepth: 16, colorType: 6,
                                         rows: [[0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0x00, 0x10], [0xFF, 0xFF, 0x00, 0x00, 0x80, 0x01, 0xFF, 0xFF]])
        let colour = try PNGDecoder.decode(rgba, file: "rgba16.png")
        #expect(colour.colorModel == .rgba && colour.rows == 2 && colour.columns == 1)
        #expect(colour.samples == .uint16([0x1234, 0x5678, 0x9ABC, 0x0010, 0xFFFF, 0x0000, 0x8001, 0xFFFF]))

        let transparentGrey = HandWrittenPNG.encode(width: 2, height: 1, bitDepth: 16, colorType: 0, rows: [[0x01, 0x00, 0x02, 0x00]],
                                                    ancillary: [("tRNS", [0x02, 0x00])])
        #expect(try PNGDecoder.decode(transparentGrey, file: "trns16.png").samples == .uint16([0x0100, 0xFFFF, 0x0200, 0x0000]))
    }

    /// A corrupt 16-bit stream with alpha gets libpng's message through the low-level path's recovery.
    @Test func reportsCorruptSixteenBitAlpha() {
        var png = HandWrittenPNG.encode(width: 4, height: 4, bitDepth: 16, colorType: 6,
                                        rows: Array(repeating: [UInt8](repeating: 7, count: 32), count: 4))
        png[png.count - 12 - 4 - 2] ^= 0xFF  // in the zlib stream's Adler-32, before the IDAT CRC and IEND
        #expect(throws: DataError.pngDecodingFailed(file: "bad16.png", message: "IDAT: incorrect data check")) {
            try PNGDecoder.decode(png, file: "bad16.png")
        }
    }

    /// Python's zlib inflates what the encoder wrote, its CRCs check, and the unfiltered scanlines hold the samples.
    @Test("Encoder output reads back in Python's zlib", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")),
          arguments: [8, 16])
    func encoderOutputReadsInPython(bits: Int) throws {
        let values = Self.samples(count: 5 * 7, seed: 42)
        let samples: PixelSamples = bits == 8 ? .uint8(values.map { UInt8(truncatingIfNeeded: $0) }) : .uint16(values)
        let png = try PNGEncoder.encode(try DecodedImage(rows: 5, columns: 7, colorModel: .monochrome2, samples: samples))
        let expected = bits == 8
            ? values.map { String(format: "%02x", UInt8(truncatingIfNeeded: $0)) }.joined()
            : values.map { String(format: "%04x", $0) }.joined()
        #expect(try Self.pythonDecode(png) == "7 5 \(bits) 0 \(expected)")
    }

    @Test func rejectsCorruptStreams() throws {
        #expect(throws: DataError.pngDecodingFailed(file: "random.png", message: "Not a PNG file")) {
            try PNGDecoder.decode([UInt8](repeating: 0x41, count: 64), file: "random.png")
        }
        #expect(throws: DataError.pngDecodingFailed(file: "empty.png",
                                                    message: "png_image_begin_read_from_memory: invalid argument")) {
            try PNGDecoder.decode([], file: "empty.png")
        }
        let png = try PNGEncoder.encode(try DecodedImage(rows: 16, columns: 16, colorModel: .rgb,
                                                         samples: .uint8(Self.samples(count: 768, seed: 3).map { UInt8($0 & 0xFF) })))
        #expect(throws: DataError.pngDecodingFailed(file: "truncated.png", message: "read beyond end of data")) {
            try PNGDecoder.decode(Array(png.prefix(png.count / 2)), file: "truncated.png")
        }
        var badCRC = png
        badCRC[29] ^= 0xFF  // inside the IHDR CRC (bytes 29...32)
        #expect(throws: DataError.pngDecodingFailed(file: "crc.png", message: "IHDR: CRC error")) {
            try PNGDecoder.decode(badCRC, file: "crc.png")
        }
    }

    @Test func refusesLayoutsPNGCannotHold() throws {
        let signed = try DecodedImage(rows: 1, columns: 1, colorModel: .monochrome2, samples: .int16([-1]))
        #expect(throws: DataError.unsupportedImageLayout(
            reason: "PNG stores unsigned samples; the image's samples are signed")) {
            try PNGEncoder.encode(signed)
        }
        let rgba16 = try DecodedImage(rows: 1, columns: 1, colorModel: .rgba, samples: .uint16([1, 2, 3, 4]))
        #expect(throws: DataError.unsupportedImageLayout(
            reason: "16-bit PNG with alpha (libpng's linear format premultiplies it)")) {
            try PNGEncoder.encode(rgba16)
        }
        let frames = try DecodedImage(rows: 1, columns: 1, frames: 2, colorModel: .monochrome2, samples: .uint8([1, 2]))
        #expect(throws: DataError.unsupportedImageLayout(reason: "PNG holds one non-empty frame; got 2 frames of 1 × 1")) {
            try PNGEncoder.encode(frames)
        }
    }

    /// Runs python3 (standard library only) on `png`: checks chunk CRCs, inflates IDAT, undoes the filters and
    /// prints "width height depth colortype hex-of-samples".
    private static func pythonDecode(_ png: [UInt8]) throws -> String {
        let script = """
            import sys, zlib, struct
            data = sys.stdin.buffer.read()
            assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
            pos, idat = 8, b''
            while pos < len(data):
                n, = struct.unpack('>I', data[pos:pos+4]); kind = data[pos+4:pos+8]; body = data[pos+8:pos+8+n]
                assert zlib.crc32(kind + body) == struct.unpack('>I', data[pos+8+n:pos+12+n])[0], kind
                if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
                if kind == b'IDAT': idat += body
                pos += 12 + n
            raw = zlib.decompress(idat)
            bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype] * depth // 8; stride = w * bpp
            out, prev = bytearray(), bytearray(stride)
            for y in range(h):
                f = raw[y * (stride + 1)]; line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
                for i in range(stride):
                    a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
                    if f == 1: line[i] = (line[i] + a) & 255
                    elif f == 2: line[i] = (line[i] + b) & 255
                    elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                    elif f == 4:
                        p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                        line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
                out += line; prev = line
            print(w, h, depth, ctype, out.hex())
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(png))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
