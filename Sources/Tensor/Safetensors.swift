import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length `N`, `N` bytes of
/// JSON (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`), then
/// the raw little-endian tensor bytes, offsets relative to the end of the header.
///
/// Tessera writes it canonically, so the same tensors give the same bytes in any process: keys
/// sorted by their UTF-8 bytes at every level, tensor data in that same name order, no whitespace
/// inside the JSON, metadata values as strings, the header padded with spaces to a multiple of 8
/// bytes (as HF writes it). Reading is ``SafetensorsFile``.
public enum Safetensors {
    /// The element types of the format.
    public enum DType: String, CaseIterable, Sendable {
        case F64, F32, F16, BF16, I64, I32, I16, I8, U16, U8, BOOL

        /// Bytes per element.
        public var byteCount: Int {
            switch self {
            case .F64, .I64: return 8
            case .F32, .I32: return 4
            case .F16, .BF16, .I16, .U16: return 2
            case .I8, .U8, .BOOL: return 1
            }
        }
    }

    /// One tensor to write: its name, type, shape and little-endian bytes.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var bytes: [UInt8]

        /// - Precondition: `bytes.count` equals the shape's element count times the dtype's size.
        public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
            precondition(bytes.count == shape.elementCount * dtype.byteCount,
                         "safetensors entry \(name): \(bytes.count) bytes for \(dtype.rawValue) \(shape)")
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// Float32 values stored as F32.
        public static func float32(name: String, shape: [Int], values: [Float]) -> Entry {
            Entry(name: name, dtype: .F32, shape: shape, bytes: littleEndianBytes(values.map(\.bitPattern)))
        }

        /// Float32 values stored as BF16, rounded to nearest even (NaN stays a quiet NaN).
        public static func bfloat16(name: String, shape: [Int], values: [Float]) -> Entry {
            Entry(name: name, dtype: .BF16, shape: shape, bytes: littleEndianBytes(values.map(Safetensors.bfloat16Bits)))
        }

        /// Float32 values stored as IEEE half precision (F16), rounded to nearest even.
        public static func float16(name: String, shape: [Int], values: [Float]) -> Entry {
            Entry(name: name, dtype: .F16, shape: shape, bytes: littleEndianBytes(values.map { Float16($0).bitPattern }))
        }

        /// Integers stored as I64.
        public static func int64(name: String, shape: [Int], values: [Int]) -> Entry {
            Entry(name: name, dtype: .I64, shape: shape, bytes: littleEndianBytes(values.map { Int64($0) }))
        }

        /// A tensor's values as F32 under its name (or `name` when given).
        public static func float32(_ tensor: Tensor, name: String? = nil) -> Entry {
            float32(name: name ?? tensor.name ?? "", shape: tensor.shape, values: tensor.values)
        }
    }

    /// The largest header accepted (HF's limit): a bigger one is a corrupt or hostile file.
    public static let maximumHeaderBytes = 100_000_000

    /// The canonical bytes of a file holding `entries` and `metadata`.
    /// - Precondition: names are distinct (a programming error otherwise).
    public static func encode(_ entries: [Entry], metadata: [String: String] = [:]) -> [UInt8] {
        let sorted = entries.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        precondition(Set(sorted.map(\.name)).count == sorted.count, "safetensors: duplicate tensor names")
        var members: [(key: String, json: String)] = []
        if !metadata.isEmpty {
            let fields = metadata.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
                .map { "\(JSONString.quoted($0.key)):\(JSONString.quoted($0.value))" }
            members.append(("__metadata__", "{" + fields.joined(separator: ",") + "}"))
        }
        var offset = 0
        for entry in sorted {
            let shape = entry.shape.map(String.init).joined(separator: ",")
            members.append((entry.name, "{\"data_offsets\":[\(offset),\(offset + entry.bytes.count)],\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)]}"))
            offset += entry.bytes.count
        }
        members.sort { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
        var header = Array(("{" + members.map { "\(JSONString.quoted($0.key)):\($0.json)" }.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }

        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        bytes += littleEndianBytes([UInt64(header.count)])
        bytes += header
        for entry in sorted { bytes += entry.bytes }
        return bytes
    }

    /// Round-to-nearest-even float32 → bfloat16 bits.
    public static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ roundingBias) >> 16)
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: values.count * MemoryLayout<T>.size)
        bytes.withUnsafeMutableBytes { raw in
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.littleEndian, toByteOffset: index * MemoryLayout<T>.size, as: T.self)
            }
        }
        return bytes
    }
}
