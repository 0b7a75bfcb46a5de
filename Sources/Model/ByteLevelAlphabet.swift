/// GPT-2's reversible map between the 256 byte values and 256 printable Unicode scalars.
///
/// Byte-level BPE vocabularies store tokens as strings over these scalars, so every byte sequence,
/// valid UTF-8 or not, has a spelling. Bytes that are printable Latin-1 (`!`…`~`, `¡`…`¬`, `®`…`ÿ`)
/// stand for themselves; the other 68 bytes (controls, space, DEL, NBSP, soft hyphen) map in byte
/// order to U+0100, U+0101, …, U+0143, so a space is `Ġ` (U+0120) and a newline `Ċ` (U+010A).
///
/// Matches `bytes_to_unicode` in HF `tokenizers` (`pre_tokenizers/byte_level.rs`) and GPT-2's `encoder.py`.
enum ByteLevelAlphabet {
    /// The scalar standing for each byte, indexed by byte value.
    static let scalars: [Unicode.Scalar] = {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(256)
        var nextUnprintable: UInt32 = 0x100
        for byte in UInt32(0)...255 {
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                scalars.append(Unicode.Scalar(UInt8(byte)))
            } else {
                // Every value below 0x144 is a valid scalar, so the fallback never applies.
                scalars.append(Unicode.Scalar(nextUnprintable) ?? "?")
                nextUnprintable += 1
            }
        }
        return scalars
    }()

    /// The byte each scalar stands for, indexed by scalar value (`-1`: not in the alphabet).
    private static let bytesByScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (byte, scalar) in scalars.enumerated() {
            table[Int(scalar.value)] = Int16(byte)
        }
        return table
    }()

    /// The byte-level spelling of `bytes`, one scalar per byte.
    static func string<Bytes: Sequence<UInt8>>(for bytes: Bytes) -> String {
        var view = String.UnicodeScalarView()
        for byte in bytes {
            view.append(scalars[Int(byte)])
        }
        return String(view)
    }

    /// The bytes a byte-level spelling stands for, or `nil` if `token` has a scalar outside the alphabet
    /// (as added tokens such as `<image>` may).
    static func bytes(for token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            let value = Int(scalar.value)
            guard value < bytesByScalar.count, bytesByScalar[value] >= 0 else { return nil }
            bytes.append(UInt8(bytesByScalar[value]))
        }
        return bytes
    }
}
