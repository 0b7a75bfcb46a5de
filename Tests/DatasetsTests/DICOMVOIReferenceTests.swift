import Foundation
import Testing
@testable import Datasets

/// VOI LUT Sequence and VOI LUT Function: display against pydicom 3 on the files of Fixtures/dicom-voi
/// (made by make_voi_fixtures.py there), and every malformed VOI LUT refused with its exact error.
struct DICOMVOIReferenceTests {
    static let fixtures = [
        "MR_small_voi_lut.dcm", "MR_small_monochrome1_voi_lut.dcm", "MR_small_implicit_voi_lut.dcm",
        "MR_small_bigendian_voi_lut.dcm", "CT_small_sigmoid.dcm", "CT_small_linear_exact.dcm",
    ]

    private static func path(_ name: String) throws -> String {
        try #require(Bundle.module.path(forResource: name, ofType: nil, inDirectory: "Fixtures/dicom-voi"))
    }

    /// A LUT maps exactly as pydicom's `apply_voi` does; a window may differ by one level where the
    /// reference's two roundings (its output range, then 0...255) meet a tie.
    @Test("Display equals pydicom's apply_voi_lut scaled to 8 bits", arguments: fixtures)
    func displayMatchesPydicom(name: String) throws {
        let file = try ImageFile(contentsOf: try Self.path(name))
        let display = try file.displayImage()
        guard case .uint8(let found) = display.samples else { Issue.record("not 8-bit"); return }
        let reference = try SafetensorsReference(contentsOf: URL(fileURLWithPath: try Self.path("reference.safetensors")))
        let expected = try reference.values("\(name).display")
        try #require(found.count == expected.count)
        let differences = zip(found, expected).map { abs(Double($0) - $1) }
        let largest = differences.max() ?? 0
        let ties = differences.filter { $0 > 0 }.count
        print("\(name): largest difference \(largest), \(ties) of \(found.count) pixels differ")
        #expect(largest <= (file.dicom?.voiLUT == nil ? 1 : 0))
        #expect(ties <= found.count / 100)
        #expect(display.colorModel == .monochrome2)
        #expect(Set(found).count > 100, "a display that kept the image's detail")
    }

    @Test func readsTheFirstItemInEveryEncoding() throws {
        let explicit = try #require(try DICOMReader.read(contentsOf: try Self.path("MR_small_voi_lut.dcm")).voiLUT)
        #expect(explicit.firstMappedValue == 100 && explicit.bitsPerEntry == 12 && explicit.entries.count == 2048)
        #expect(explicit.entries.first == 0 && explicit.entries.last == 4095)
        // Implicit VR, undefined lengths, two items: the first (1,024 entries, not the second's 16), its
        // first mapped value read as SS because Pixel Representation is 1.
        let implicit = try #require(try DICOMReader.read(contentsOf: try Self.path("MR_small_implicit_voi_lut.dcm")).voiLUT)
        #expect(implicit.firstMappedValue == -100 && implicit.bitsPerEntry == 8 && implicit.entries.count == 1024)
        #expect(implicit.entries.last == 255)
        let bigEndian = try #require(try DICOMReader.read(contentsOf: try Self.path("MR_small_bigendian_voi_lut.dcm")).voiLUT)
        #expect(bigEndian.bitsPerEntry == 16 && bigEndian.entries.count == 4096)
        #expect(bigEndian.entries.first == 0 && bigEndian.entries.last == 65535)
        // Words read big endian: 65,535 · (1 − cos(π i / 4095)) / 2 at i = 1024, 2048, 3072 (as pydicom reads them).
        #expect([bigEndian.entries[1024], bigEndian.entries[2048], bigEndian.entries[3072]] == [9602, 32780, 55951])
        let sigmoid = try DICOMReader.read(contentsOf: try Self.path("CT_small_sigmoid.dcm"))
        #expect(sigmoid.voiLUTFunction == .sigmoid && sigmoid.voiLUT == nil)
        #expect(try DICOMReader.read(contentsOf: try Self.path("CT_small_linear_exact.dcm")).voiLUTFunction == .linearExact)
    }

    // MARK: Built files

    /// A 1 × 4 MONOCHROME2 8-bit image (stored 0, 10, 20, 30), a window 15/20, a VOI LUT Sequence of one
    /// item holding `descriptor` and `data` (as given), and a VOI LUT Function when `function` is set.
    private func file(descriptor: [UInt16]?, data: [UInt16]?, sequenceLengthChange: Int = 0, undefinedLengths: Bool = false,
                      function: String? = nil) throws -> (path: String, directory: DatasetFixtureDirectory, sequenceOffset: Int) {
        var dicom = DICOMTestFile()
        dicom.imagePixelAttributes(rows: 1, columns: 4, bitsAllocated: 8)
        dicom.string(0x0028, 0x1050, vr: "DS", "15")
        dicom.string(0x0028, 0x1051, vr: "DS", "20")
        if let function { dicom.string(0x0028, 0x1056, vr: "CS", function) }
        var item = DICOMTestFile()
        if let descriptor { item.element(0x0028, 0x3002, vr: "US", descriptor.flatMap(item.uint16)) }
        if let data { item.element(0x0028, 0x3006, vr: "OW", data.flatMap(item.uint16)) }
        let sequenceOffset = DICOMTestFile().bytes.count + dicom.body.count  // preamble and meta group, then the body so far
        if undefinedLengths {
            dicom.header(0x0028, 0x3010, vr: "SQ", length: 0xFFFF_FFFF)
            dicom.delimiter(0xE000, length: 0xFFFF_FFFF)
            dicom.append(raw: item.body)
            dicom.delimiter(0xE00D, length: 0)
            dicom.delimiter(0xE0DD, length: 0)
        } else {
            dicom.header(0x0028, 0x3010, vr: "SQ", length: UInt32(8 + item.body.count + sequenceLengthChange))
            dicom.delimiter(0xE000, length: UInt32(item.body.count))
            dicom.append(raw: item.body)
        }
        dicom.element(0x7FE0, 0x0010, vr: "OB", [0, 10, 20, 30])
        let directory = try DatasetFixtureDirectory()
        let path = directory.path + "/voi.dcm"
        try Data(dicom.bytes).write(to: URL(fileURLWithPath: path))
        return (path, directory, sequenceOffset)
    }

    @Test(arguments: [false, true])
    func appliesATableClampedAtBothEnds(undefinedLengths: Bool) throws {
        // Entries for 5...8 (8-bit): 0 maps below the table, 30 past it.
        let built = try file(descriptor: [4, 5, 8], data: [10, 20, 40, 80], undefinedLengths: undefinedLengths)
        defer { built.directory.remove() }
        let display = try ImageFile(contentsOf: built.path).displayImage()
        #expect(display.samples == .uint8([10, 80, 80, 80]))
        let twelveBits = try file(descriptor: [2, 0, 12], data: [0, 4095])
        defer { twelveBits.directory.remove() }
        #expect(try ImageFile(contentsOf: twelveBits.path).displayImage().samples == .uint8([0, 255, 255, 255]))
    }

    /// As pydicom: an item without LUT Data leaves the window to map the image, and so does a sequence without items.
    @Test func windowsWhenTheItemHasNoTable() throws {
        let built = try file(descriptor: [4, 5, 8], data: nil)
        defer { built.directory.remove() }
        let file = try ImageFile(contentsOf: built.path)
        #expect(file.dicom?.voiLUT == nil)
        let image = try DecodedImage(rows: 1, columns: 4, colorModel: .monochrome2, samples: .uint8([0, 10, 20, 30]))
        #expect(try file.displayImage() == (try image.windowed(center: 15, width: 20)))
    }

    @Test func appliesTheWindowFunctions() throws {
        let image = try DecodedImage(rows: 1, columns: 3, colorModel: .monochrome2, samples: .uint8([5, 15, 25]))
        // LINEAR_EXACT: ((x − c)/w + 0.5) · 255 inside (c − w/2, c + w/2].
        #expect(try image.windowed(center: 15, width: 20, function: .linearExact).samples == .uint8([0, 128, 255]))
        // SIGMOID: 255 / (1 + exp(−4 (x − c)/w)); 255/(1 + e²) = 30.4.
        #expect(try image.windowed(center: 15, width: 20, function: .sigmoid).samples == .uint8([30, 128, 225]))
        #expect(throws: DataError.invalidWindow(center: 15, width: 0)) { try image.windowed(center: 15, width: 0, function: .sigmoid) }
        // A width below 1 is valid for SIGMOID and LINEAR_EXACT (LINEAR needs 1).
        #expect(try image.windowed(center: 15, width: 0.5, function: .linearExact).samples == .uint8([0, 128, 255]))
    }

    @Test func refusesMalformedTablesByName() throws {
        let cases: [([UInt16], [UInt16], DICOMTag, String, String, String)] = [
            ([4, 5], [1, 2, 3, 4], .lutDescriptor, "LUT Descriptor", "2 values", "3 (entries, first mapped value, bits per entry)"),
            ([4, 5, 9], [1, 2, 3, 4], .lutDescriptor, "LUT Descriptor", "9 bits per entry", "8 or 10–16 bits per entry (PS3.3 C.8.11.3.1.5)"),
            ([6, 5, 8], [1, 2, 3, 4], .lutData, "LUT Data", "4 entries", "6, as LUT Descriptor declares"),
            ([0, 5, 16], [1, 2, 3, 4], .lutData, "LUT Data", "4 entries", "65536, as LUT Descriptor declares"),
        ]
        for (descriptor, data, tag, name, found, expected) in cases {
            let built = try file(descriptor: descriptor, data: data)
            defer { built.directory.remove() }
            #expect(throws: DataError.invalidAttribute(file: built.path, tag: tag, name: name, found: found, expected: expected)) {
                try DICOMReader.read(contentsOf: built.path)
            }
        }
        let function = try file(descriptor: nil, data: nil, function: "GAMMA")
        defer { function.directory.remove() }
        #expect(throws: DataError.invalidAttribute(file: function.path, tag: .voiLUTFunction, name: "VOI LUT Function",
                                                   found: "\"GAMMA\"", expected: "LINEAR, LINEAR_EXACT or SIGMOID")) {
            try DICOMReader.read(contentsOf: function.path)
        }
    }

    @Test func refusesAnItemLongerThanItsSequence() throws {
        let built = try file(descriptor: [4, 5, 8], data: [10, 20, 40, 80], sequenceLengthChange: -2)
        defer { built.directory.remove() }
        let length = 8 + 8 + 6 + 12 + 8 - 2  // item header + descriptor + data elements, 2 short
        #expect(throws: DataError.malformedElement(file: built.path, tag: .voiLUTSequence, offset: built.sequenceOffset,
                                                   reason: "its contents run 2 bytes past its length of \(length)")) {
            try DICOMReader.read(contentsOf: built.path)
        }
    }
}
