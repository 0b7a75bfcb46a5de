/// Builds DICOM Part 10 files byte by byte for tests: preamble, "DICM", a File Meta Information group
/// naming the transfer syntax, then data elements in the chosen encoding.
struct DICOMTestFile {
    let transferSyntaxUID: String
    let isExplicitVR: Bool
    let isBigEndian: Bool
    private(set) var body: [UInt8] = []

    init(transferSyntaxUID: String = "1.2.840.10008.1.2.1", isExplicitVR: Bool = true, isBigEndian: Bool = false) {
        self.transferSyntaxUID = transferSyntaxUID
        self.isExplicitVR = isExplicitVR
        self.isBigEndian = isBigEndian
    }

    /// The Image Pixel attributes of a monochrome image plus its pixel data.
    static func monochrome(rows: Int, columns: Int, bitsAllocated: Int, bitsStored: Int? = nil, signed: Bool = false,
                           frames: Int? = nil, photometric: String = "MONOCHROME2", pixelData: [UInt8]) -> DICOMTestFile {
        var file = DICOMTestFile()
        file.imagePixelAttributes(rows: rows, columns: columns, bitsAllocated: bitsAllocated, bitsStored: bitsStored,
                                  signed: signed, frames: frames, photometric: photometric)
        file.element(0x7FE0, 0x0010, vr: bitsAllocated == 8 ? "OB" : "OW", pixelData)
        return file
    }

    mutating func imagePixelAttributes(rows: Int, columns: Int, bitsAllocated: Int, bitsStored: Int? = nil,
                                       signed: Bool = false, frames: Int? = nil, samplesPerPixel: Int = 1,
                                       planarConfiguration: Int? = nil, photometric: String = "MONOCHROME2") {
        string(0x0008, 0x0060, vr: "CS", "OT")
        unsignedShort(0x0028, 0x0002, samplesPerPixel)
        string(0x0028, 0x0004, vr: "CS", photometric)
        if let planarConfiguration { unsignedShort(0x0028, 0x0006, planarConfiguration) }
        if let frames { string(0x0028, 0x0008, vr: "IS", String(frames)) }
        unsignedShort(0x0028, 0x0010, rows)
        unsignedShort(0x0028, 0x0011, columns)
        unsignedShort(0x0028, 0x0100, bitsAllocated)
        unsignedShort(0x0028, 0x0101, bitsStored ?? bitsAllocated)
        unsignedShort(0x0028, 0x0102, (bitsStored ?? bitsAllocated) - 1)
        unsignedShort(0x0028, 0x0103, signed ? 1 : 0)
    }

    /// Appends an element with a defined-length value (padded to even length with `padding`).
    mutating func element(_ group: UInt16, _ element: UInt16, vr: String, _ value: [UInt8], padding: UInt8 = 0) {
        let value = value.count % 2 == 0 ? value : value + [padding]
        header(group, element, vr: vr, length: UInt32(value.count))
        body += value
    }

    /// Appends an element header with an explicit length (0xFFFFFFFF for undefined length).
    mutating func header(_ group: UInt16, _ element: UInt16, vr: String, length: UInt32) {
        body += uint16(group) + uint16(element)
        if isExplicitVR {
            body += Array(vr.utf8)
            if ["OB", "OW", "OF", "SQ", "UN", "UT"].contains(vr) {
                body += [0, 0] + uint32(length)
            } else {
                body += uint16(UInt16(length))
            }
        } else {
            body += uint32(length)
        }
    }

    /// Appends an item or delimiter tag (FFFE,xxxx), which never has a VR.
    mutating func delimiter(_ element: UInt16, length: UInt32) {
        body += uint16(0xFFFE) + uint16(element) + uint32(length)
    }

    mutating func string(_ group: UInt16, _ element: UInt16, vr: String, _ text: String) {
        self.element(group, element, vr: vr, Array(text.utf8), padding: vr == "UI" ? 0 : 0x20)
    }

    mutating func unsignedShort(_ group: UInt16, _ element: UInt16, _ value: Int) {
        self.element(group, element, vr: "US", uint16(UInt16(value)))
    }

    mutating func append(raw bytes: [UInt8]) {
        body += bytes
    }

    func uint16(_ value: UInt16) -> [UInt8] {
        isBigEndian ? [UInt8(value >> 8), UInt8(value & 0xFF)] : [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    func uint32(_ value: UInt32) -> [UInt8] {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
        return isBigEndian ? bytes.reversed() : bytes
    }

    /// The whole file: 128-byte preamble, "DICM", meta group (always explicit VR little endian), body.
    var bytes: [UInt8] {
        var meta = DICOMTestFile(transferSyntaxUID: transferSyntaxUID)
        meta.string(0x0002, 0x0010, vr: "UI", transferSyntaxUID)
        var groupLength = DICOMTestFile()
        groupLength.element(0x0002, 0x0000, vr: "UL", groupLength.uint32(UInt32(meta.body.count)))
        return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + groupLength.body + meta.body + body
    }
}
