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
}
