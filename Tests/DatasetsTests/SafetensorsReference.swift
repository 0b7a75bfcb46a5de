import Foundation
import Testing

/// A minimal safetensors reader for the tests' reference data: an 8-byte little-endian header length,
/// a JSON header of {name: {dtype, shape, data_offsets}}, then raw little-endian data. (The library's
/// safetensors codec lives in Tensor, which Data must not depend on.)
struct SafetensorsReference {
    struct Entry {
        let dtype: String
        let shape: [Int]
        let range: Range<Int>
    }

    let bytes: [UInt8]
    let entries: [String: Entry]

    init(contentsOf url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        self.bytes = bytes
        try #require(bytes.count >= 8)
        let headerLength = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        try #require(8 + headerLength <= bytes.count)
        let header = try #require(
            try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
        var entries: [String: Entry] = [:]
        for (name, value) in header where name != "__metadata__" {
            let fields = try #require(value as? [String: Any])
            let offsets = try #require(fields["data_offsets"] as? [Int])
            entries[name] = Entry(dtype: try #require(fields["dtype"] as? String),
                                  shape: try #require(fields["shape"] as? [Int]),
                                  range: (8 + headerLength + offsets[0])..<(8 + headerLength + offsets[1]))
        }
        self.entries = entries
    }

    /// The tensor's values widened to Double (exact for U8, I16, U16 and F32).
    func values(_ name: String) throws -> [Double] {
        let entry = try #require(entries[name], "no tensor \(name)")
        let raw = Array(bytes[entry.range])
        func word(_ index: Int) -> UInt16 { UInt16(raw[2 * index]) | UInt16(raw[2 * index + 1]) << 8 }
        switch entry.dtype {
        case "U8": return raw.map(Double.init)
        case "I8": return raw.map { Double(Int8(bitPattern: $0)) }
        case "U16": return (0..<(raw.count / 2)).map { Double(word($0)) }
        case "I16": return (0..<(raw.count / 2)).map { Double(Int16(bitPattern: word($0))) }
        case "F32":
            return (0..<(raw.count / 4)).map { index in
                let bits = (0..<4).reduce(UInt32(0)) { $0 | UInt32(raw[4 * index + $1]) << (8 * $1) }
                return Double(Float(bitPattern: bits))
            }
        default:
            Issue.record("unexpected dtype \(entry.dtype) for \(name)")
            return []
        }
    }
}
