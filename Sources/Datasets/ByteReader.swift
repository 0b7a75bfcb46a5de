/// A cursor over a byte array in which every read checks the bounds first, so malformed lengths in a
/// file can never read outside it.
struct ByteReader {
    /// The whole file.
    let bytes: [UInt8]
    /// The label used in errors.
    let file: String
    /// The index of the next byte to read.
    private(set) var offset: Int
    /// Whether multi-byte integers are big endian (Explicit VR Big Endian) rather than little endian.
    var isBigEndian: Bool

    init(bytes: [UInt8], file: String, offset: Int = 0, isBigEndian: Bool = false) {
        self.bytes = bytes
        self.file = file
        self.offset = offset
        self.isBigEndian = isBigEndian
    }

    /// The bytes left after `offset`.
    var remaining: Int { bytes.count - offset }

    /// Whether every byte has been read.
    var isAtEnd: Bool { offset >= bytes.count }

    /// Reads a 16-bit unsigned integer in the reader's byte order.
    mutating func readUInt16() throws(DataError) -> UInt16 {
        try requireBytes(2)
        let value = integer(at: offset, byteCount: 2)
        offset += 2
        return UInt16(truncatingIfNeeded: value)
    }

    /// Reads a 32-bit unsigned integer in the reader's byte order.
    mutating func readUInt32() throws(DataError) -> UInt32 {
        try requireBytes(4)
        let value = integer(at: offset, byteCount: 4)
        offset += 4
        return UInt32(truncatingIfNeeded: value)
    }

    /// Reads `count` bytes and returns their indices in `bytes`.
    mutating func readRange(count: Int) throws(DataError) -> Range<Int> {
        try requireBytes(count)
        let range = offset..<(offset + count)
        offset += count
        return range
    }

    /// Moves the cursor to the end of the file (used when a truncated value is kept up to the end).
    mutating func skipToEnd() {
        offset = bytes.count
    }

    /// Throws unless at least `count` bytes remain.
    func requireBytes(_ count: Int) throws(DataError) {
        guard count >= 0, count <= remaining else {
            throw .unexpectedEndOfFile(file: file, offset: bytes.count, neededBytes: count - max(remaining, 0))
        }
    }

    private func integer(at start: Int, byteCount: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in 0..<byteCount {
            let byte = UInt32(bytes[isBigEndian ? start + index : start + byteCount - 1 - index])
            value = value << 8 | byte
        }
        return value
    }
}
