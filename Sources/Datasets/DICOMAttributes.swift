/// Typed access to the values of a parsed data set's top-level elements.
struct DICOMAttributes {
    let elements: [DICOMTag: DICOMElement]
    let bytes: [UInt8]
    let file: String
    let isBigEndian: Bool

    /// The value of a text element (CS, UI, LO, DS, IS...) with its padding (spaces, NULs) removed;
    /// `nil` when the element is absent.
    func string(_ tag: DICOMTag) -> String? {
        guard let element = elements[tag], case .bytes(let range) = element.value else { return nil }
        let text = String(decoding: bytes[range], as: UTF8.self)
        return text.trimmingPadding()
    }

    /// The first value of a US (unsigned short) element, 0...65535; `nil` when absent.
    /// - Throws: `DataError.invalidAttribute` when the value is shorter than 2 bytes.
    func firstUnsignedShort(_ tag: DICOMTag, name: String) throws(DataError) -> Int? {
        guard let element = elements[tag], case .bytes(let range) = element.value else { return nil }
        guard range.count >= 2 else {
            throw .invalidAttribute(file: file, tag: tag, name: name, found: "\(range.count) bytes",
                                    expected: "a 2-byte US value")
        }
        var reader = ByteReader(bytes: bytes, file: file, offset: range.lowerBound, isBigEndian: isBigEndian)
        return Int(try reader.readUInt16())
    }

    /// Every 16-bit value of a US, SS or OW element, as stored (SS values as their bit patterns); `nil`
    /// when absent.
    /// - Throws: `DataError.invalidAttribute` when the value's length is odd.
    func unsignedShorts(_ tag: DICOMTag, name: String) throws(DataError) -> [UInt16]? {
        guard let element = elements[tag], case .bytes(let range) = element.value else { return nil }
        guard range.count % 2 == 0 else {
            throw .invalidAttribute(file: file, tag: tag, name: name, found: "\(range.count) bytes",
                                    expected: "2-byte values")
        }
        var reader = ByteReader(bytes: bytes, file: file, offset: range.lowerBound, isBigEndian: isBigEndian)
        var values: [UInt16] = []
        values.reserveCapacity(range.count / 2)
        for _ in 0..<(range.count / 2) {
            values.append(try reader.readUInt16())
        }
        return values
    }

    /// The first value of a DS (decimal string) element, e.g. `600` from `600\1000`; `nil` when absent or empty.
    /// - Throws: `DataError.invalidAttribute` when the text is not a number.
    func firstDecimal(_ tag: DICOMTag, name: String) throws(DataError) -> Double? {
        guard let text = string(tag), !text.isEmpty else { return nil }
        let first = text.split(separator: "\\", omittingEmptySubsequences: false).first ?? Substring(text)
        guard let value = Double(first.trimmingPadding()), value.isFinite else {
            throw .invalidAttribute(file: file, tag: tag, name: name, found: "\"\(text)\"",
                                    expected: "a decimal string")
        }
        return value
    }

    /// The value of an IS (integer string) element; `nil` when absent or empty.
    /// - Throws: `DataError.invalidAttribute` when the text is not an integer.
    func integerString(_ tag: DICOMTag, name: String) throws(DataError) -> Int? {
        guard let text = string(tag), !text.isEmpty else { return nil }
        guard let value = Int(text) else {
            throw .invalidAttribute(file: file, tag: tag, name: name, found: "\"\(text)\"",
                                    expected: "an integer string")
        }
        return value
    }
}

extension StringProtocol {
    /// The text without the spaces and NULs that pad DICOM values to even length.
    func trimmingPadding() -> String {
        let isPadding: (Character) -> Bool = { $0 == " " || $0 == "\0" }
        guard let first = firstIndex(where: { !isPadding($0) }),
              let last = lastIndex(where: { !isPadding($0) }) else { return "" }
        return String(self[first...last])
    }
}
