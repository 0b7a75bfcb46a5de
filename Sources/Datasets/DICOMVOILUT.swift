/// How a DICOM image is windowed for display with its Window Center and Width: VOI LUT Function
/// (0028,1056), PS3.3 C.11.2.1.2–3. Absent means `LINEAR`.
public enum VOILUTFunction: String, Sendable {
    case linear = "LINEAR"
    case linearExact = "LINEAR_EXACT"
    case sigmoid = "SIGMOID"

    /// Whether `width` is a Window Width this function can use: at least 1 for `LINEAR`, above 0
    /// for the others (PS3.3 C.11.2.1.2–3).
    public func accepts(width: Double) -> Bool {
        width.isFinite && (self == .linear ? width >= 1 : width > 0)
    }
}

/// The first item of a VOI LUT Sequence (0028,3010), PS3.3 C.11.2.1.1: a table mapping the rescaled
/// value `firstMappedValue + i` to `entries[i]`; values below the first map to the first entry,
/// values past the last to the last. Outputs have `bitsPerEntry` significant bits.
public struct VOILUT: Sendable, Equatable {
    /// The input value of the first entry (LUT Descriptor's second value; signed when the descriptor is SS).
    public let firstMappedValue: Int
    /// The output range is 0...2^bitsPerEntry − 1 (LUT Descriptor's third value: 8 or 10–16).
    public let bitsPerEntry: Int
    /// LUT Data (0028,3006), as many as LUT Descriptor's first value says (0 meaning 65,536).
    public let entries: [UInt16]
}

extension VOILUT {
    /// Reads the VOI LUT from a VOI LUT Sequence item, as pydicom's `apply_voi` does; `nil` when the item
    /// lacks LUT Descriptor or LUT Data (pydicom then windows with Window Center and Width instead).
    /// - Parameter isSignedImage: Pixel Representation 1: in Implicit VR, where the descriptor carries no
    ///   VR, its first mapped value is then read as SS.
    /// - Throws: `DataError.invalidAttribute` for a descriptor without 3 values, bits per entry outside 8
    ///   and 10–16, or fewer LUT Data entries than the descriptor declares.
    init?(item: DICOMAttributes, isSignedImage: Bool) throws(DataError) {
        guard let descriptor = try item.unsignedShorts(.lutDescriptor, name: "LUT Descriptor"),
              let data = try item.unsignedShorts(.lutData, name: "LUT Data") else { return nil }
        let file = item.file
        guard descriptor.count == 3 else {
            throw .invalidAttribute(file: file, tag: .lutDescriptor, name: "LUT Descriptor", found: "\(descriptor.count) values",
                                    expected: "3 (entries, first mapped value, bits per entry)")
        }
        let entryCount = descriptor[0] == 0 ? 65_536 : Int(descriptor[0])
        let isSigned = item.elements[.lutDescriptor]?.vr.map { $0 == "SS" } ?? isSignedImage
        let bits = Int(descriptor[2])
        guard bits == 8 || (10...16).contains(bits) else {
            throw .invalidAttribute(file: file, tag: .lutDescriptor, name: "LUT Descriptor", found: "\(bits) bits per entry",
                                    expected: "8 or 10–16 bits per entry (PS3.3 C.8.11.3.1.5)")
        }
        guard data.count >= entryCount else {
            throw .invalidAttribute(file: file, tag: .lutData, name: "LUT Data", found: "\(data.count) entries",
                                    expected: "\(entryCount), as LUT Descriptor declares")
        }
        firstMappedValue = isSigned ? Int(Int16(bitPattern: descriptor[1])) : Int(descriptor[1])
        bitsPerEntry = bits
        entries = Array(data.prefix(entryCount))
    }
}
