import Foundation
import Testing
@testable import Datasets

/// DICOM reading on files built in the test: encodings, sequences, bit masking, frames and every error.
struct DICOMReaderTests {
    private static func littleEndian(_ values: [UInt16]) -> [UInt8] {
        values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }

    /// A 2048 × 2048 16-bit image (8 MiB of pixel data) decodes with every value in place.
    @Test func decodesLargeSixteenBitImage() throws {
        let side = 2048
        let values = (0..<(side * side)).map { UInt16(truncatingIfNeeded: $0 &* 2654435761 >> 7) }
        let dicom = DICOMTestFile.monochrome(rows: side, columns: side, bitsAllocated: 16,
                                             pixelData: Self.littleEndian(values))
        let image = try DICOMReader.read(bytes: dicom.bytes, file: "large.dcm").decodedImage()
        #expect(image.shape == [1, side, side, 1])
        #expect(image.samples == .uint16(values))
    }

    /// Sequences of defined and undefined length, with items of both kinds and nested sequences, are
    /// skipped: attributes inside their items do not replace the top-level ones.
    @Test("Skips sequences", arguments: [true, false])
    func skipsSequences(explicitVR: Bool) throws {
        var dicom = DICOMTestFile(transferSyntaxUID: explicitVR ? "1.2.840.10008.1.2.1" : "1.2.840.10008.1.2",
                                  isExplicitVR: explicitVR)
        // (0008,1140) undefined length: an undefined-length item holding Rows 999 and a nested undefined
        // sequence, then a defined-length item.
        dicom.header(0x0008, 0x1140, vr: "SQ", length: 0xFFFF_FFFF)
        dicom.delimiter(0xE000, length: 0xFFFF_FFFF)
        dicom.unsignedShort(0x0028, 0x0010, 999)
        dicom.header(0x0040, 0xA730, vr: "SQ", length: 0xFFFF_FFFF)
        dicom.delimiter(0xE000, length: 0xFFFF_FFFF)
        dicom.unsignedShort(0x0028, 0x0011, 999)
        dicom.delimiter(0xE00D, length: 0)
        dicom.delimiter(0xE0DD, length: 0)
        dicom.delimiter(0xE00D, length: 0)
        var item = DICOMTestFile(isExplicitVR: explicitVR)
        item.unsignedShort(0x0028, 0x0010, 777)
        dicom.delimiter(0xE000, length: UInt32(item.body.count))
        dicom.append(raw: item.body)
        dicom.delimiter(0xE0DD, length: 0)
        // (0008,1115) defined length, holding one defined-length item.
        dicom.header(0x0008, 0x1115, vr: "SQ", length: UInt32(8 + item.body.count))
        dicom.delimiter(0xE000, length: UInt32(item.body.count))
        dicom.append(raw: item.body)
        dicom.imagePixelAttributes(rows: 2, columns: 3, bitsAllocated: 8)
        dicom.element(0x7FE0, 0x0010, vr: "OB", [1, 2, 3, 4, 5, 6])

        let file = try DICOMReader.read(bytes: dicom.bytes, file: "sequences.dcm")
        #expect(file.rows == 2 && file.columns == 3)
        #expect(try file.decodedImage().samples == .uint8([1, 2, 3, 4, 5, 6]))
    }

    /// Bits above Bits Stored are dropped, and signed values sign-extend from bit Bits Stored − 1, as
    /// pydicom's left-then-right shift does.
    @Test func masksToBitsStored() throws {
        let raw: [UInt16] = [0xF7FF, 0x0800, 0x1FFF, 0x0001]
        let signed = DICOMTestFile.monochrome(rows: 1, columns: 4, bitsAllocated: 16, bitsStored: 12, signed: true,
                                              pixelData: Self.littleEndian(raw))
        #expect(try DICOMReader.read(bytes: signed.bytes, file: "s.dcm").decodedImage().samples
            == .int16([2047, -2048, -1, 1]))
        let unsigned = DICOMTestFile.monochrome(rows: 1, columns: 4, bitsAllocated: 16, bitsStored: 12,
                                                pixelData: Self.littleEndian(raw))
        #expect(try DICOMReader.read(bytes: unsigned.bytes, file: "u.dcm").decodedImage().samples
            == .uint16([0x7FF, 0x800, 0xFFF, 1]))
        let signedBytes = DICOMTestFile.monochrome(rows: 1, columns: 4, bitsAllocated: 8, bitsStored: 6, signed: true,
                                                   pixelData: [0x1F, 0x20, 0xFF, 0xC1])
        #expect(try DICOMReader.read(bytes: signedBytes.bytes, file: "s8.dcm").decodedImage().samples
            == .int8([31, -32, -1, 1]))
    }

    /// Planar Configuration 1 RGB in Explicit VR Big Endian decodes to interleaved RGB.
    @Test func interleavesPlanarRGB() throws {
        var dicom = DICOMTestFile(transferSyntaxUID: "1.2.840.10008.1.2.2", isBigEndian: true)
        dicom.imagePixelAttributes(rows: 1, columns: 2, bitsAllocated: 16, samplesPerPixel: 3, planarConfiguration: 1,
                                   photometric: "RGB")
        let planes: [UInt16] = [0x0102, 0x0304, 0x0506, 0x0708, 0x090A, 0x0B0C]  // R1 R2 G1 G2 B1 B2
        dicom.element(0x7FE0, 0x0010, vr: "OW", planes.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
        let image = try DICOMReader.read(bytes: dicom.bytes, file: "planar.dcm").decodedImage()
        #expect(image.colorModel == .rgb)
        #expect(image.samples == .uint16([0x0102, 0x0506, 0x090A, 0x0304, 0x0708, 0x0B0C]))
    }

    /// One frame of a multi-frame file equals that frame's slice of the whole decode.
    @Test func selectsFrames() throws {
        let path = try ReferenceFixtures.dicomPath("emri_small.dcm")
        let file = try DICOMReader.read(contentsOf: path)
        let all = try file.decodedImage()
        let frame = try file.decodedFrame(3)
        guard case .uint16(let allValues) = all.samples else {
            Issue.record("emri_small.dcm should decode to UInt16, got \(all.samples.bitsAllocated)-bit")
            return
        }
        let frameSize = 64 * 64
        #expect(frame.shape == [1, 64, 64, 1])
        #expect(frame.samples == .uint16(Array(allValues[(3 * frameSize)..<(4 * frameSize)])))
        #expect(throws: DataError.frameOutOfRange(file: path, frame: 10, frameCount: 10)) {
            try file.decodedFrame(10)
        }
    }

    /// MONOCHROME1 is reported so that the caller can invert it.
    @Test func reportsMonochrome1() throws {
        let dicom = DICOMTestFile.monochrome(rows: 1, columns: 2, bitsAllocated: 8, photometric: "MONOCHROME1",
                                             pixelData: [0, 255])
        let image = try DICOMReader.read(bytes: dicom.bytes, file: "m1.dcm").decodedImage()
        #expect(image.colorModel == .monochrome1)
        #expect(image.inverted().samples == .uint8([255, 0]))
    }

    // MARK: Errors

    @Test func rejectsNonDICOMBytes() {
        #expect(throws: DataError.notDICOM(file: "short", found: "the end of the file (4 bytes)")) {
            try DICOMReader.read(bytes: [1, 2, 3, 4], file: "short")
        }
        let png = [UInt8](repeating: 0x89, count: 200)
        #expect(throws: DataError.notDICOM(file: "x.png", found: "bytes 89 89 89 89")) {
            try DICOMReader.read(bytes: png, file: "x.png")
        }
    }

    @Test func rejectsMissingFile() {
        #expect {
            try DICOMReader.read(contentsOf: "/nonexistent/file.dcm")
        } throws: { error in
            guard case DataError.unreadableFile(file: "/nonexistent/file.dcm", _) = error else { return false }
            return true
        }
    }

    /// Files pydicom reads: an icon's encapsulated pixel data inside a sequence item (skipped), and a
    /// few stray bytes after the last element (ignored).
    @Test func readsAnIconInASequenceAndTrailingPadding() throws {
        var dicom = DICOMTestFile()
        dicom.imagePixelAttributes(rows: 1, columns: 2, bitsAllocated: 8)
        dicom.header(0x0088, 0x0200, vr: "SQ", length: 0xFFFF_FFFF)  // Icon Image Sequence
        dicom.delimiter(0xE000, length: 0xFFFF_FFFF)
        dicom.header(0x7FE0, 0x0010, vr: "OB", length: 0xFFFF_FFFF)
        dicom.delimiter(0xE000, length: 0)
        dicom.delimiter(0xE000, length: 2)
        dicom.append(raw: [9, 9])
        dicom.delimiter(0xE0DD, length: 0)
        dicom.delimiter(0xE00D, length: 0)
        dicom.delimiter(0xE0DD, length: 0)
        dicom.element(0x7FE0, 0x0010, vr: "OB", [1, 4])
        dicom.append(raw: [0, 0, 0])
        #expect(try DICOMReader.read(bytes: dicom.bytes, file: "icon.dcm").decodedImage().samples == .uint8([1, 4]))
    }

    /// An element whose length runs past the end of the file names the element and its offset.
    @Test func rejectsTruncatedElement() throws {
        var dicom = DICOMTestFile()
        dicom.header(0x0008, 0x0060, vr: "CS", length: 200)
        dicom.append(raw: Array("MR".utf8))
        let bytes = dicom.bytes
        let offset = bytes.count - 10
        #expect(throws: DataError.truncatedElement(file: "t.dcm", tag: DICOMTag(0x0008, 0x0060), offset: offset,
                                                   declaredLength: 200, availableBytes: 2)) {
            try DICOMReader.read(bytes: bytes, file: "t.dcm")
        }
    }

    /// Every 7th prefix of a valid file is read or refused with a `DataError`; none crashes or reads out of
    /// bounds, and every prefix that ends before the last byte of the pixel data is refused.
    @Test("Truncations of a fixture are refused", arguments: ["MR_small.dcm", "MR_small_RLE.dcm",
                                                              "SC_rgb_jpeg_dcmtk.dcm", "MR_small_bigendian.dcm"])
    func refusesTruncations(name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try ReferenceFixtures.dicomPath(name))))
        let pixelDataEnd = switch try DICOMReader.read(bytes: bytes, file: name).pixelData {
        case .bytes(let range), .truncated(let range, _): range.upperBound
        case .encapsulated(let pixelData): (pixelData.fragments.last?.range.upperBound ?? 0) + 8  // + delimiter
        }
        for length in stride(from: 0, to: bytes.count, by: 7) {
            let decode = { () throws(DataError) in
                _ = try DICOMReader.read(bytes: Array(bytes.prefix(length)), file: name).decodedImage()
            }
            if length < pixelDataEnd {
                #expect(throws: DataError.self, "prefix of \(length) bytes", performing: decode)
            } else {
                _ = try? decode()
            }
        }
    }

    /// Random byte flips in encoded pixel data and headers never crash: each file decodes or throws.
    @Test("Corrupted fixtures decode or throw", arguments: ["MR_small_RLE.dcm", "SC_rgb_jpeg_dcmtk.dcm", "CT_small.dcm"])
    func survivesCorruption(name: String) throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try ReferenceFixtures.dicomPath(name))))
        var state: UInt64 = 0x5EED_0001  // explicit seed: the same corruptions every run
        for _ in 0..<200 {
            var bytes = original
            for _ in 0..<4 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let index = 132 + Int((state >> 33) % UInt64(bytes.count - 132))
                bytes[index] = UInt8(truncatingIfNeeded: state >> 13)
            }
            _ = try? DICOMReader.read(bytes: bytes, file: name).decodedImage()
        }
    }

    @Test func rejectsMissingRows() {
        var dicom = DICOMTestFile()
        dicom.string(0x0028, 0x0004, vr: "CS", "MONOCHROME2")
        dicom.element(0x7FE0, 0x0010, vr: "OB", [0, 0])
        #expect(throws: DataError.missingAttribute(file: "r.dcm", tag: DICOMTag(0x0028, 0x0010), name: "Rows")) {
            try DICOMReader.read(bytes: dicom.bytes, file: "r.dcm")
        }
    }

    @Test func rejectsMissingPixelData() {
        var dicom = DICOMTestFile()
        dicom.imagePixelAttributes(rows: 1, columns: 1, bitsAllocated: 8)
        #expect(throws: DataError.missingPixelData(file: "p.dcm")) {
            try DICOMReader.read(bytes: dicom.bytes, file: "p.dcm")
        }
    }

    @Test func rejectsUnsupportedBitsAllocated() {
        var dicom = DICOMTestFile()
        dicom.imagePixelAttributes(rows: 1, columns: 1, bitsAllocated: 32)
        #expect(throws: DataError.invalidAttribute(file: "b.dcm", tag: DICOMTag(0x0028, 0x0100), name: "Bits Allocated",
                                                   found: "32", expected: "8 or 16")) {
            try DICOMReader.read(bytes: dicom.bytes, file: "b.dcm")
        }
    }

    @Test func rejectsInvalidVR() {
        var dicom = DICOMTestFile()
        dicom.append(raw: [0x08, 0x00, 0x60, 0x00, 0x01, 0x02, 0x00, 0x00])
        let offset = dicom.bytes.count - 8
        #expect(throws: DataError.malformedElement(file: "v.dcm", tag: DICOMTag(0x0008, 0x0060), offset: offset,
                                                   reason: "VR bytes 1 2 are not two upper-case letters")) {
            try DICOMReader.read(bytes: dicom.bytes, file: "v.dcm")
        }
    }

    /// Sequences nested 33 deep are refused before they can exhaust the stack.
    @Test func rejectsDeeplyNestedSequences() {
        var dicom = DICOMTestFile()
        for _ in 0..<40 {
            dicom.header(0x0008, 0x1140, vr: "SQ", length: 0xFFFF_FFFF)
            dicom.delimiter(0xE000, length: 0xFFFF_FFFF)
        }
        #expect {
            try DICOMReader.read(bytes: dicom.bytes, file: "deep.dcm")
        } throws: { error in
            guard case DataError.malformedElement(file: "deep.dcm", tag: DICOMTag(0x0008, 0x1140), _, let reason) = error
            else { return false }
            return reason == "sequences nested deeper than 32 levels"
        }
    }

    /// An unknown transfer syntax is refused at read; a known one without a decoder reads, then refuses to decode.
    @Test func rejectsUnsupportedTransferSyntaxes() throws {
        var unknown = DICOMTestFile(transferSyntaxUID: "1.2.3.4")
        unknown.imagePixelAttributes(rows: 1, columns: 1, bitsAllocated: 8)
        #expect(throws: DataError.unsupportedTransferSyntax(file: "u.dcm", uid: "1.2.3.4", name: "unknown")) {
            try DICOMReader.read(bytes: unknown.bytes, file: "u.dcm")
        }
        var jpeg2000 = DICOMTestFile(transferSyntaxUID: "1.2.840.10008.1.2.4.90")
        jpeg2000.imagePixelAttributes(rows: 1, columns: 1, bitsAllocated: 8)
        jpeg2000.header(0x7FE0, 0x0010, vr: "OB", length: 0xFFFF_FFFF)
        jpeg2000.delimiter(0xE000, length: 0)
        jpeg2000.delimiter(0xE000, length: 2)
        jpeg2000.append(raw: [0xFF, 0x4F])
        jpeg2000.delimiter(0xE0DD, length: 0)
        let file = try DICOMReader.read(bytes: jpeg2000.bytes, file: "j2k.dcm")
        #expect(file.transferSyntax.name == "JPEG 2000 Image Compression (Lossless Only)")
        #expect(throws: DataError.unsupportedTransferSyntax(file: "j2k.dcm", uid: "1.2.840.10008.1.2.4.90",
                                                            name: "JPEG 2000 Image Compression (Lossless Only)")) {
            try file.decodedImage()
        }
    }

    /// An RLE header declaring the wrong number of segments is refused with the counts.
    @Test func rejectsRLEWithWrongSegmentCount() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try ReferenceFixtures.dicomPath("MR_small_RLE.dcm"))))
        // The first fragment after the (empty) offset table starts with the segment count, 2 for 16-bit grey.
        let headerStart = try #require(Self.firstFragmentStart(in: bytes))
        #expect(bytes[headerStart] == 2)
        bytes[headerStart] = 3
        let file = try DICOMReader.read(bytes: bytes, file: "rle.dcm")
        #expect(throws: DataError.corruptRLEData(
            file: "rle.dcm", frame: 0,
            reason: "header declares 3 segments, expected 2 (samples × bytes per sample)")) {
            try file.decodedImage()
        }
    }

    /// Two RGB frames in RLE Lossless, with replicate, literal and no-op (−128) runs, split into frames by
    /// the Basic Offset Table or, without one, one fragment per frame.
    @Test("Decodes multi-frame RGB RLE", arguments: [true, false])
    func decodesMultiFrameRGBRLE(withOffsetTable: Bool) throws {
        func frame(red: UInt8) -> [UInt8] {
            let segments: [[UInt8]] = [
                [0xFB, red],                        // −5: red repeated 6 times
                [0x05, 1, 2, 3, 4, 5, 6],           // 5: 6 literal bytes
                [0x80, 0x01, 7, 8, 0xFD, 9, 0],     // no-op, 2 literals, 9 four times, padding
            ]
            var offsets: [UInt32] = []
            var position = 64
            for segment in segments {
                offsets.append(UInt32(position))
                position += segment.count
            }
            let header = ([UInt32(3)] + offsets + [UInt32](repeating: 0, count: 12))
                .flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
            let data = header + segments.joined()
            return data.count % 2 == 0 ? data : data + [0]
        }
        let frames = [frame(red: 10), frame(red: 20)]
        var dicom = DICOMTestFile(transferSyntaxUID: "1.2.840.10008.1.2.5")
        dicom.imagePixelAttributes(rows: 2, columns: 3, bitsAllocated: 8, frames: 2, samplesPerPixel: 3,
                                   planarConfiguration: 0, photometric: "RGB")
        dicom.header(0x7FE0, 0x0010, vr: "OB", length: 0xFFFF_FFFF)
        let table: [UInt32] = withOffsetTable ? [0, UInt32(8 + frames[0].count)] : []
        dicom.delimiter(0xE000, length: UInt32(4 * table.count))
        dicom.append(raw: table.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } })
        for data in frames {
            dicom.delimiter(0xE000, length: UInt32(data.count))
            dicom.append(raw: data)
        }
        dicom.delimiter(0xE0DD, length: 0)

        let file = try DICOMReader.read(bytes: dicom.bytes, file: "rle-rgb.dcm")
        let blue: [UInt8] = [7, 8, 9, 9, 9, 9]
        let expected = { (red: UInt8) in (0..<6).flatMap { [red, UInt8($0 + 1), blue[$0]] } }
        #expect(try file.decodedImage().samples == .uint8(expected(10) + expected(20)))
        #expect(try file.decodedFrame(1).samples == .uint8(expected(20)))
    }

    /// Two JPEG frames, each split over two fragments, are reassembled through the Basic Offset Table or,
    /// without one, by the EOI marker ending each frame's last fragment.
    @Test("Decodes multi-fragment JPEG frames", arguments: [true, false])
    func decodesMultiFragmentJPEGFrames(withOffsetTable: Bool) throws {
        let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let jpeg = [UInt8](try Data(contentsOf: fixtures.appendingPathComponent("jpeg/gradient_grey.jpg")))
        let split = jpeg.count / 2 & ~1
        let fragments = [Array(jpeg[..<split]), Array(jpeg[split...])].map { $0.count % 2 == 0 ? $0 : $0 + [0] }
        var dicom = DICOMTestFile(transferSyntaxUID: "1.2.840.10008.1.2.4.50")
        dicom.imagePixelAttributes(rows: 12, columns: 20, bitsAllocated: 8, frames: 2)
        dicom.header(0x7FE0, 0x0010, vr: "OB", length: 0xFFFF_FFFF)
        let frameLength = UInt32(fragments.reduce(0) { $0 + 8 + $1.count })
        let table: [UInt32] = withOffsetTable ? [0, frameLength] : []
        dicom.delimiter(0xE000, length: UInt32(4 * table.count))
        dicom.append(raw: table.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } })
        for fragment in fragments + fragments {
            dicom.delimiter(0xE000, length: UInt32(fragment.count))
            dicom.append(raw: fragment)
        }
        dicom.delimiter(0xE0DD, length: 0)

        let single = try JPEGDecoder.decode(jpeg, file: "gradient_grey.jpg")
        guard case .uint8(let frame) = single.samples else {
            Issue.record("the greyscale JPEG should decode to 8-bit samples")
            return
        }
        let image = try DICOMReader.read(bytes: dicom.bytes, file: "jpeg2.dcm").decodedImage()
        #expect(image.shape == [2, 12, 20, 1])
        #expect(image.samples == .uint8(frame + frame))
    }

    /// An offset table entry that does not point at a fragment's item tag is refused, naming the entry.
    @Test func rejectsOffsetTableNotMatchingFragments() throws {
        var dicom = DICOMTestFile(transferSyntaxUID: "1.2.840.10008.1.2.4.50")
        dicom.imagePixelAttributes(rows: 1, columns: 1, bitsAllocated: 8, frames: 2)
        dicom.header(0x7FE0, 0x0010, vr: "OB", length: 0xFFFF_FFFF)
        dicom.delimiter(0xE000, length: 8)
        dicom.append(raw: [0, 0, 0, 0, 5, 0, 0, 0])  // frames at offsets 0 and 5; fragments start at 0 and 10
        for _ in 0..<2 {
            dicom.delimiter(0xE000, length: 2)
            dicom.append(raw: [0xFF, 0xD9])
        }
        dicom.delimiter(0xE0DD, length: 0)
        let file = try DICOMReader.read(bytes: dicom.bytes, file: "bot.dcm")
        #expect(throws: DataError.malformedEncapsulatedPixelData(
            file: "bot.dcm", reason: "offset table entry 1 (5) does not start a fragment")) {
            try file.decodedFrame(0)
        }
    }

    /// The offset of the first fragment's data: Pixel Data tag, VR OB, undefined length, offset-table item, item.
    private static func firstFragmentStart(in bytes: [UInt8]) -> Int? {
        let pixelDataHeader: [UInt8] = [0xE0, 0x7F, 0x10, 0x00, 0x4F, 0x42, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        guard let start = (0...(bytes.count - 12)).last(where: { bytes[$0..<($0 + 12)].elementsEqual(pixelDataHeader) })
        else { return nil }
        let tableLength = Int(bytes[start + 16]) | Int(bytes[start + 17]) << 8
        return start + 12 + 8 + tableLength + 8
    }
}
