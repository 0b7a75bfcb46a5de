/// Walks the data elements of a DICOM data set (PS3.5 §7), recording the top-level ones and skipping
/// sequences of defined and undefined length, so that attributes nested in sequence items never
/// shadow the image's own. The first item of a sequence in ``recordedSequences`` is read into
/// ``firstItems`` instead.
struct DICOMDataSetParser {
    /// Top-level sequences whose first item's elements are recorded: the VOI LUT Sequence, which
    /// maps an image to display as its first view (pydicom's `apply_voi_lut` default).
    static let recordedSequences: Set<DICOMTag> = [.voiLUTSequence]
    /// Sequences nested deeper than this are refused, so a hostile file cannot exhaust the stack.
    static let maximumNestingDepth = 32
    /// The length value meaning "undefined length, ended by a delimiter".
    private static let undefinedLength: UInt32 = 0xFFFF_FFFF
    /// VRs whose explicit encoding has 2 reserved bytes and a 32-bit length (PS3.5 Table 7.1-1).
    private static let longLengthVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]

    private struct Header {
        let tag: DICOMTag
        let vr: String?
        let length: UInt32
        let offset: Int
    }

    private var reader: ByteReader
    private var isExplicitVR: Bool
    /// The elements of the first item of each top-level sequence in ``recordedSequences`` the data
    /// set holds (none for a sequence without items).
    private(set) var firstItems: [DICOMTag: [DICOMTag: DICOMElement]] = [:]

    /// Creates a parser starting at `offset` of `bytes`.
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - file: The label used in errors.
    ///   - offset: The first byte of the first element.
    ///   - isExplicitVR: Whether elements carry a VR.
    ///   - isBigEndian: Whether tags, lengths and values are big endian.
    init(bytes: [UInt8], file: String, offset: Int, isExplicitVR: Bool, isBigEndian: Bool) {
        reader = ByteReader(bytes: bytes, file: file, offset: offset, isBigEndian: isBigEndian)
        self.isExplicitVR = isExplicitVR
    }

    /// The offset of the next unread byte.
    var offset: Int { reader.offset }

    /// Parses top-level elements up to the end of the file or, when `group` is given, up to the first
    /// element of another group (how the File Meta Information ends, PS3.10 §7.1). Fewer than 8
    /// bytes at the end cannot hold an element and are ignored as padding, as pydicom does.
    /// - Parameter group: The only group to read, or `nil` for every element.
    /// - Returns: The top-level elements by tag; sequences of undefined length are skipped, not returned.
    /// - Throws: `DataError.unexpectedEndOfFile`, `.truncatedElement`, `.malformedElement`.
    mutating func parseElements(inGroup group: UInt16? = nil) throws(DataError) -> [DICOMTag: DICOMElement] {
        var elements: [DICOMTag: DICOMElement] = [:]
        while reader.remaining >= 8 {
            if let group {
                var peek = reader
                guard peek.remaining >= 2, try peek.readUInt16() == group else { break }
            }
            let header = try readHeader()
            if Self.recordedSequences.contains(header.tag), header.vr == nil || header.vr == "SQ" {
                firstItems[header.tag] = try readFirstItem(of: header)
                continue
            }
            if let value = try readValue(of: header, depth: 0) {
                elements[header.tag] = DICOMElement(tag: header.tag, vr: header.vr, offset: header.offset,
                                                    value: value)
            }
        }
        return elements
    }

    private mutating func readHeader() throws(DataError) -> Header {
        let offset = reader.offset
        let tag = DICOMTag(try reader.readUInt16(), try reader.readUInt16())
        // Item and delimiter tags carry no VR, even in explicit VR syntaxes (PS3.5 §7.5).
        guard isExplicitVR, tag.group != 0xFFFE else {
            return Header(tag: tag, vr: nil, length: try reader.readUInt32(), offset: offset)
        }
        let vrRange = try reader.readRange(count: 2)
        let vrBytes = reader.bytes[vrRange]
        guard vrBytes.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
            let found = vrBytes.map { String($0, radix: 16) }.joined(separator: " ")
            throw .malformedElement(file: reader.file, tag: tag, offset: offset,
                                    reason: "VR bytes \(found) are not two upper-case letters")
        }
        let vr = String(decoding: vrBytes, as: UTF8.self)
        if Self.longLengthVRs.contains(vr) {
            _ = try reader.readRange(count: 2)
            return Header(tag: tag, vr: vr, length: try reader.readUInt32(), offset: offset)
        }
        return Header(tag: tag, vr: vr, length: UInt32(try reader.readUInt16()), offset: offset)
    }

    /// Reads or skips the value after `header`; returns `nil` for skipped sequences of undefined length.
    private mutating func readValue(of header: Header, depth: Int) throws(DataError) -> DICOMElement.Value? {
        guard header.length == Self.undefinedLength else {
            let length = Int(header.length)
            guard length <= reader.remaining else {
                guard header.tag == .pixelData, depth == 0 else {
                    throw .truncatedElement(file: reader.file, tag: header.tag, offset: header.offset,
                                            declaredLength: length, availableBytes: reader.remaining)
                }
                let available = reader.offset..<reader.bytes.count
                reader.skipToEnd()
                return .truncated(available, declaredLength: length)
            }
            return .bytes(try reader.readRange(count: length))
        }
        if header.tag == .pixelData {
            let fragments = try readEncapsulatedPixelData(header: header)
            return depth == 0 ? .encapsulated(fragments) : nil  // deeper: an icon's pixels in a sequence item, skipped
        }
        switch header.vr {
        case nil, "SQ":
            try skipSequence(header: header, depth: depth + 1)
        case "UN":
            // A UN sequence of undefined length is encoded as Implicit VR Little Endian (PS3.5 §6.2.2).
            let (wasExplicit, wasBigEndian) = (isExplicitVR, reader.isBigEndian)
            (isExplicitVR, reader.isBigEndian) = (false, false)
            try skipSequence(header: header, depth: depth + 1)
            (isExplicitVR, reader.isBigEndian) = (wasExplicit, wasBigEndian)
        default:
            throw .malformedElement(file: reader.file, tag: header.tag, offset: header.offset,
                                    reason: "VR \(header.vr ?? "") cannot have an undefined length")
        }
        return nil
    }

    /// Skips the items of a sequence of undefined length, up to its Sequence Delimitation Item.
    private mutating func skipSequence(header: Header, depth: Int) throws(DataError) {
        guard depth <= Self.maximumNestingDepth else {
            throw .malformedElement(file: reader.file, tag: header.tag, offset: header.offset,
                                    reason: "sequences nested deeper than \(Self.maximumNestingDepth) levels")
        }
        while true {
            let item = try readItemHeader()
            if item.tag == .sequenceDelimitation {
                return
            }
            guard item.tag == .item else {
                throw .malformedElement(file: reader.file, tag: item.tag, offset: item.offset,
                                        reason: "expected an item (FFFE,E000) in sequence \(header.tag)")
            }
            if item.length == Self.undefinedLength {
                try skipItem(depth: depth)
            } else {
                _ = try readItemValue(item)
            }
        }
    }

    /// Reads a top-level sequence of defined or undefined length, returning the elements of its first
    /// item (their nested sequences skipped); `nil` for a sequence without items.
    private mutating func readFirstItem(of sequence: Header) throws(DataError) -> [DICOMTag: DICOMElement]? {
        let end = try definedEnd(of: sequence)
        var first: [DICOMTag: DICOMElement]?
        while end.map({ reader.offset < $0 }) ?? true {
            let item = try readItemHeader()
            if end == nil, item.tag == .sequenceDelimitation {
                break
            }
            guard item.tag == .item else {
                throw .malformedElement(file: reader.file, tag: item.tag, offset: item.offset,
                                        reason: "expected an item (FFFE,E000) in sequence \(sequence.tag)")
            }
            let elements = try readItemElements(item)
            if first == nil { first = elements }
        }
        try requireEnd(end, of: sequence)
        return first
    }

    /// The elements of a sequence item of defined or undefined length, nested sequences skipped.
    private mutating func readItemElements(_ item: Header) throws(DataError) -> [DICOMTag: DICOMElement] {
        let end = try definedEnd(of: item)
        var elements: [DICOMTag: DICOMElement] = [:]
        while end.map({ reader.offset < $0 }) ?? true {
            let header = try readHeader()
            if end == nil, header.tag == .itemDelimitation {
                break
            }
            if let value = try readValue(of: header, depth: 1) {
                elements[header.tag] = DICOMElement(tag: header.tag, vr: header.vr, offset: header.offset, value: value)
            }
        }
        try requireEnd(end, of: item)
        return elements
    }

    /// Where the value after `header` ends when its length is defined; `nil` when undefined.
    private func definedEnd(of header: Header) throws(DataError) -> Int? {
        guard header.length != Self.undefinedLength else { return nil }
        guard Int(header.length) <= reader.remaining else {
            throw .truncatedElement(file: reader.file, tag: header.tag, offset: header.offset,
                                    declaredLength: Int(header.length), availableBytes: reader.remaining)
        }
        return reader.offset + Int(header.length)
    }

    /// Checks that the contents of a sequence or item of defined length ended exactly at `end`.
    private func requireEnd(_ end: Int?, of header: Header) throws(DataError) {
        guard let end, reader.offset != end else { return }
        throw .malformedElement(file: reader.file, tag: header.tag, offset: header.offset,
                                reason: "its contents run \(reader.offset - end) bytes past its length of \(header.length)")
    }

    /// Reads an item or delimiter header (FFFE,xxxx): a tag and a 32-bit length, never a VR.
    private mutating func readItemHeader() throws(DataError) -> Header {
        let offset = reader.offset
        let tag = DICOMTag(try reader.readUInt16(), try reader.readUInt16())
        return Header(tag: tag, vr: nil, length: try reader.readUInt32(), offset: offset)
    }

    /// Reads the value of an item of defined length.
    private mutating func readItemValue(_ item: Header) throws(DataError) -> Range<Int> {
        let length = Int(item.length)
        guard length <= reader.remaining else {
            throw .truncatedElement(file: reader.file, tag: item.tag, offset: item.offset, declaredLength: length,
                                    availableBytes: reader.remaining)
        }
        return try reader.readRange(count: length)
    }

    /// Skips the elements of an item of undefined length, up to its Item Delimitation Item.
    private mutating func skipItem(depth: Int) throws(DataError) {
        while true {
            let header = try readHeader()
            if header.tag == .itemDelimitation {
                return
            }
            _ = try readValue(of: header, depth: depth)
        }
    }

    /// Reads the offset table and fragments of encapsulated pixel data, up to the Sequence Delimitation Item.
    private mutating func readEncapsulatedPixelData(header: Header) throws(DataError) -> EncapsulatedPixelData {
        var offsetTable: [Int]?
        var fragments: [EncapsulatedPixelData.Fragment] = []
        var firstFragmentOffset: Int?
        while true {
            let item = try readItemHeader()
            if item.tag == .sequenceDelimitation {
                break
            }
            guard item.tag == .item, item.length != Self.undefinedLength else {
                throw .malformedElement(file: reader.file, tag: item.tag, offset: item.offset,
                                        reason: "expected a fragment item of defined length in Pixel Data")
            }
            let range = try readItemValue(item)
            guard offsetTable != nil else {
                offsetTable = try readOffsetTable(range, itemOffset: item.offset)
                continue
            }
            let origin = firstFragmentOffset ?? item.offset
            firstFragmentOffset = origin
            fragments.append(.init(range: range, itemOffset: item.offset - origin))
        }
        return EncapsulatedPixelData(basicOffsetTable: offsetTable ?? [], fragments: fragments)
    }

    private func readOffsetTable(_ range: Range<Int>, itemOffset: Int) throws(DataError) -> [Int] {
        guard range.count % 4 == 0 else {
            throw .malformedElement(file: reader.file, tag: .item, offset: itemOffset,
                                    reason: "Basic Offset Table of \(range.count) bytes is not a multiple of 4")
        }
        var table = ByteReader(bytes: reader.bytes, file: reader.file, offset: range.lowerBound,
                               isBigEndian: reader.isBigEndian)
        var offsets: [Int] = []
        for _ in 0..<(range.count / 4) {
            offsets.append(Int(try table.readUInt32()))
        }
        return offsets
    }
}
