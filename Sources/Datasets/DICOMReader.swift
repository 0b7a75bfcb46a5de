import Foundation

/// Reads DICOM Part 10 files (PS3.10 §7): the 128-byte preamble, "DICM", the File Meta Information
/// (explicit VR little endian) and the data set in its transfer syntax.
///
/// Data sets in Implicit VR Little Endian, Explicit VR Little Endian, Explicit VR Big Endian, and the
/// encapsulated syntaxes are read; pixels decode for the first three, RLE Lossless and JPEG Baseline
/// (see ``DICOMFile/decodedImage()``). Every read is bounds-checked: a malformed or truncated file
/// throws a ``DataError`` naming the file, the element and the offset.
public enum DICOMReader {
    /// Reads the DICOM file at `path`.
    /// - Parameter path: The file's path; it labels every error.
    /// - Returns: The file's image attributes and pixel data location.
    /// - Throws: `DataError.unreadableFile` when the file cannot be read, and the errors of
    ///   ``read(bytes:file:)``.
    public static func read(contentsOf path: String) throws(DataError) -> DICOMFile {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .unreadableFile(file: path, reason: error.localizedDescription)
        }
        return try read(bytes: bytes, file: path)
    }

    /// Reads a DICOM file held in memory.
    /// - Parameters:
    ///   - bytes: The file's bytes, preamble included.
    ///   - file: The label used in errors (a path or an identifier).
    /// - Returns: The file's image attributes and pixel data location.
    /// - Throws: `DataError.notDICOM` without "DICM" at byte 128; `.unsupportedTransferSyntax` for a UID
    ///   outside the known registry or a deflated data set; `.unexpectedEndOfFile`, `.truncatedElement`,
    ///   `.malformedElement` for broken encodings; `.missingAttribute`, `.invalidAttribute` for unusable
    ///   Image Pixel attributes; `.missingPixelData` when there is no Pixel Data element.
    public static func read(bytes: [UInt8], file: String) throws(DataError) -> DICOMFile {
        let prefixLength = 132
        guard bytes.count >= prefixLength else {
            throw .notDICOM(file: file, found: "the end of the file (\(bytes.count) bytes)")
        }
        let magic = bytes[128..<prefixLength]
        guard magic.elementsEqual("DICM".utf8) else {
            throw .notDICOM(file: file, found: "bytes \(magic.map { String($0, radix: 16) }.joined(separator: " "))")
        }
        var metaParser = DICOMDataSetParser(bytes: bytes, file: file, offset: prefixLength, isExplicitVR: true,
                                            isBigEndian: false)
        let meta = DICOMAttributes(elements: try metaParser.parseElements(inGroup: 0x0002), bytes: bytes,
                                   file: file, isBigEndian: false)
        guard let uid = meta.string(.transferSyntaxUID) else {
            throw .missingAttribute(file: file, tag: .transferSyntaxUID, name: "Transfer Syntax UID")
        }
        guard let syntax = DICOMTransferSyntax(uid: uid), syntax.pixelEncoding != .deflated else {
            throw .unsupportedTransferSyntax(file: file, uid: uid, name: DICOMTransferSyntax(uid: uid)?.name ?? "unknown")
        }
        var parser = DICOMDataSetParser(bytes: bytes, file: file, offset: metaParser.offset,
                                        isExplicitVR: syntax.isExplicitVR, isBigEndian: syntax.isBigEndian)
        let elements = try parser.parseElements()
        let attributes = DICOMAttributes(elements: elements, bytes: bytes, file: file,
                                         isBigEndian: syntax.isBigEndian)
        let voiItem = parser.firstItems[.voiLUTSequence].map {
            DICOMAttributes(elements: $0, bytes: bytes, file: file, isBigEndian: syntax.isBigEndian)
        }
        return try makeFile(attributes, voiItem: voiItem, transferSyntax: syntax)
    }

    /// Collects and validates the Image Pixel and VOI LUT attributes.
    private static func makeFile(_ attributes: DICOMAttributes, voiItem: DICOMAttributes?, transferSyntax: DICOMTransferSyntax)
        throws(DataError) -> DICOMFile
    {
        let file = attributes.file
        func required(_ tag: DICOMTag, _ name: String) throws(DataError) -> Int {
            guard let value = try attributes.firstUnsignedShort(tag, name: name) else {
                throw .missingAttribute(file: file, tag: tag, name: name)
            }
            return value
        }
        func check(_ valid: Bool, _ tag: DICOMTag, _ name: String, _ value: Int, expected: String) throws(DataError) {
            guard valid else {
                throw .invalidAttribute(file: file, tag: tag, name: name, found: "\(value)", expected: expected)
            }
        }
        let rows = try required(.rows, "Rows")
        try check(rows > 0, .rows, "Rows", rows, expected: "at least 1")
        let columns = try required(.columns, "Columns")
        try check(columns > 0, .columns, "Columns", columns, expected: "at least 1")
        let bitsAllocated = try required(.bitsAllocated, "Bits Allocated")
        try check(bitsAllocated == 8 || bitsAllocated == 16, .bitsAllocated, "Bits Allocated", bitsAllocated,
                  expected: "8 or 16")
        let bitsStored = try attributes.firstUnsignedShort(.bitsStored, name: "Bits Stored") ?? bitsAllocated
        try check((1...bitsAllocated).contains(bitsStored), .bitsStored, "Bits Stored", bitsStored,
                  expected: "1...\(bitsAllocated) (Bits Allocated)")
        let highBit = try attributes.firstUnsignedShort(.highBit, name: "High Bit") ?? bitsStored - 1
        let samplesPerPixel = try attributes.firstUnsignedShort(.samplesPerPixel, name: "Samples per Pixel") ?? 1
        try check(samplesPerPixel == 1 || samplesPerPixel == 3, .samplesPerPixel, "Samples per Pixel",
                  samplesPerPixel, expected: "1 or 3")
        let pixelRepresentation = try attributes.firstUnsignedShort(.pixelRepresentation, name: "Pixel Representation") ?? 0
        try check(pixelRepresentation <= 1, .pixelRepresentation, "Pixel Representation", pixelRepresentation,
                  expected: "0 or 1")
        let planarConfiguration = try attributes.firstUnsignedShort(.planarConfiguration, name: "Planar Configuration") ?? 0
        try check(planarConfiguration <= 1, .planarConfiguration, "Planar Configuration", planarConfiguration,
                  expected: "0 or 1")
        let frames = try attributes.integerString(.numberOfFrames, name: "Number of Frames") ?? 1
        try check(frames >= 0, .numberOfFrames, "Number of Frames", frames, expected: "at least 1")
        guard let photometric = attributes.string(.photometricInterpretation), !photometric.isEmpty else {
            throw .missingAttribute(file: file, tag: .photometricInterpretation, name: "Photometric Interpretation")
        }
        guard let pixelData = attributes.elements[.pixelData] else {
            throw .missingPixelData(file: file)
        }
        let functionName = attributes.string(.voiLUTFunction).map { $0.uppercased() }
        guard let voiLUTFunction = functionName.map({ $0.isEmpty ? .linear : VOILUTFunction(rawValue: $0) }) ?? .linear else {
            throw .invalidAttribute(file: file, tag: .voiLUTFunction, name: "VOI LUT Function", found: "\"\(functionName ?? "")\"",
                                    expected: "LINEAR, LINEAR_EXACT or SIGMOID")
        }
        return DICOMFile(
            file: file, transferSyntax: transferSyntax, modality: attributes.string(.modality),
            photometricInterpretation: photometric, rows: rows, columns: columns, samplesPerPixel: samplesPerPixel,
            numberOfFrames: max(frames, 1), bitsAllocated: bitsAllocated, bitsStored: bitsStored, highBit: highBit,
            pixelRepresentation: pixelRepresentation, planarConfiguration: planarConfiguration,
            rescaleSlope: try attributes.firstDecimal(.rescaleSlope, name: "Rescale Slope"),
            rescaleIntercept: try attributes.firstDecimal(.rescaleIntercept, name: "Rescale Intercept"),
            windowCenter: try attributes.firstDecimal(.windowCenter, name: "Window Center"),
            windowWidth: try attributes.firstDecimal(.windowWidth, name: "Window Width"),
            voiLUTFunction: voiLUTFunction,
            voiLUT: try voiItem.flatMap { item throws(DataError) in try VOILUT(item: item, isSignedImage: pixelRepresentation == 1) },
            bytes: attributes.bytes, pixelData: pixelData.value)
    }
}
