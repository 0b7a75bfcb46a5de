/// A DICOM attribute tag, (group, element), as PS3.5 §7.1 encodes it.
public struct DICOMTag: Hashable, Sendable, CustomStringConvertible {
    /// The group number, e.g. `0x0028` for Image Pixel attributes.
    public let group: UInt16
    /// The element number within the group.
    public let element: UInt16

    /// Creates a tag from its group and element numbers.
    /// - Parameters:
    ///   - group: The group number.
    ///   - element: The element number.
    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    /// The tag as DICOM documents write it, e.g. `(7FE0,0010)`.
    public var description: String {
        "(\(Self.hex(group)),\(Self.hex(element)))"
    }

    private static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

extension DICOMTag {
    // File meta information (PS3.10 §7.1).
    static let transferSyntaxUID = DICOMTag(0x0002, 0x0010)
    // Image Pixel and related modules (PS3.3 C.7.6.3, C.8, C.11).
    static let modality = DICOMTag(0x0008, 0x0060)
    static let samplesPerPixel = DICOMTag(0x0028, 0x0002)
    static let photometricInterpretation = DICOMTag(0x0028, 0x0004)
    static let planarConfiguration = DICOMTag(0x0028, 0x0006)
    static let numberOfFrames = DICOMTag(0x0028, 0x0008)
    static let rows = DICOMTag(0x0028, 0x0010)
    static let columns = DICOMTag(0x0028, 0x0011)
    static let bitsAllocated = DICOMTag(0x0028, 0x0100)
    static let bitsStored = DICOMTag(0x0028, 0x0101)
    static let highBit = DICOMTag(0x0028, 0x0102)
    static let pixelRepresentation = DICOMTag(0x0028, 0x0103)
    static let windowCenter = DICOMTag(0x0028, 0x1050)
    static let windowWidth = DICOMTag(0x0028, 0x1051)
    static let rescaleIntercept = DICOMTag(0x0028, 0x1052)
    static let rescaleSlope = DICOMTag(0x0028, 0x1053)
    // VOI LUT module (PS3.3 C.11.2).
    static let voiLUTFunction = DICOMTag(0x0028, 0x1056)
    static let voiLUTSequence = DICOMTag(0x0028, 0x3010)
    static let lutDescriptor = DICOMTag(0x0028, 0x3002)
    static let lutData = DICOMTag(0x0028, 0x3006)
    static let pixelData = DICOMTag(0x7FE0, 0x0010)
    // Encapsulation delimiters (PS3.5 §7.5), which carry no VR even in explicit VR syntaxes.
    static let item = DICOMTag(0xFFFE, 0xE000)
    static let itemDelimitation = DICOMTag(0xFFFE, 0xE00D)
    static let sequenceDelimitation = DICOMTag(0xFFFE, 0xE0DD)
}
