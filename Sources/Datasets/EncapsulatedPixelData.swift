/// Encapsulated pixel data (PS3.5 A.4): the Basic Offset Table and the fragments that follow it, each
/// kept as a range of the file's bytes.
struct EncapsulatedPixelData: Sendable {
    /// One fragment (an item after the offset table).
    struct Fragment: Sendable {
        /// The fragment's bytes in the file.
        let range: Range<Int>
        /// The offset of its item tag from the first fragment's item tag, the origin of the offset table.
        let itemOffset: Int
    }

    /// The Basic Offset Table: for each frame, the `itemOffset` of its first fragment; empty when absent.
    let basicOffsetTable: [Int]
    /// The fragments in file order.
    let fragments: [Fragment]

    /// The fragments of each frame, found the way PS3.5 A.4 allows: one frame owns every fragment; the
    /// offset table; one fragment per frame; or, for JPEG, fragments ending with an EOI marker.
    /// - Parameters:
    ///   - frameCount: The Number of Frames of the data set.
    ///   - bytes: The file's bytes.
    ///   - file: The label used in errors.
    ///   - framesEndWithEOI: Whether frames are JPEG streams, which end with FF D9.
    /// - Returns: `frameCount` lists of fragment byte ranges, in frame order.
    /// - Throws: `DataError.malformedEncapsulatedPixelData` when the fragments cannot be assigned to frames.
    func frameFragments(frameCount: Int, bytes: [UInt8], file: String, framesEndWithEOI: Bool)
        throws(DataError) -> [[Range<Int>]]
    {
        guard !fragments.isEmpty else {
            throw .malformedEncapsulatedPixelData(file: file, reason: "no fragments after the offset table")
        }
        let ranges = fragments.map(\.range)
        if frameCount == 1 {
            return [ranges]
        }
        if !basicOffsetTable.isEmpty {
            return try fragmentsFromOffsetTable(frameCount: frameCount, file: file)
        }
        if fragments.count == frameCount {
            return ranges.map { [$0] }
        }
        if framesEndWithEOI {
            var groups: [[Range<Int>]] = []
            var current: [Range<Int>] = []
            for range in ranges {
                current.append(range)
                if Self.endsWithEOI(bytes[range]) {
                    groups.append(current)
                    current = []
                }
            }
            if groups.count == frameCount && current.isEmpty {
                return groups
            }
        }
        throw .malformedEncapsulatedPixelData(
            file: file,
            reason: "\(fragments.count) fragments and no offset table for \(frameCount) frames")
    }

    /// One pass over the fragments: frame k owns those whose item offset lies in [table[k], table[k + 1]).
    private func fragmentsFromOffsetTable(frameCount: Int, file: String) throws(DataError) -> [[Range<Int>]] {
        guard basicOffsetTable.count == frameCount else {
            throw .malformedEncapsulatedPixelData(
                file: file, reason: "offset table has \(basicOffsetTable.count) entries for \(frameCount) frames")
        }
        var groups: [[Range<Int>]] = []
        groups.reserveCapacity(frameCount)
        var next = 0
        for (frame, start) in basicOffsetTable.enumerated() {
            let end = frame + 1 < frameCount ? basicOffsetTable[frame + 1] : Int.max
            guard next < fragments.count, fragments[next].itemOffset == start, start < end else {
                throw .malformedEncapsulatedPixelData(
                    file: file, reason: "offset table entry \(frame) (\(start)) does not start a fragment")
            }
            var members: [Range<Int>] = []
            while next < fragments.count, fragments[next].itemOffset < end {
                members.append(fragments[next].range)
                next += 1
            }
            groups.append(members)
        }
        return groups
    }

    /// Whether a fragment ends with the JPEG EOI marker FF D9, ignoring the zero padding to even length.
    private static func endsWithEOI(_ fragment: ArraySlice<UInt8>) -> Bool {
        var end = fragment.endIndex
        while end > fragment.startIndex, fragment[end - 1] == 0 {
            end -= 1
        }
        return end - fragment.startIndex >= 2 && fragment[end - 2] == 0xFF && fragment[end - 1] == 0xD9
    }
}
