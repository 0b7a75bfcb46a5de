import Foundation

/// A safetensors file opened for reading: the header is parsed and checked completely on open, the
/// tensor bytes stay in the (memory-mapped) file until a tensor is asked for.
///
/// Checked on open, each failure a ``SafetensorsError``: the length prefix and header fit the file,
/// the header is at most ``Safetensors/maximumHeaderBytes``, it is a JSON object of entries with a
/// known dtype, a shape of non-negative integers and two offsets, each entry's byte count matches
/// its dtype and shape, and the entries tile the data region exactly (no overlap, gap or trailing
/// bytes), as HF's own reader requires.
public struct SafetensorsFile: @unchecked Sendable {
    // @unchecked: `Data` of a read-only mapping is never mutated after init.

    /// Where a tensor lives in the file.
    public struct Info: Equatable, Sendable {
        public let dtype: Safetensors.DType
        public let shape: [Int]
        /// Byte range within the data region.
        public let range: Range<Int>
    }

    /// The file's name in messages.
    public let source: String
    /// `__metadata__`, empty when absent.
    public let metadata: [String: String]
    /// Every tensor by name.
    public let tensors: [String: Info]
    private let data: Data
    private let dataStart: Int

    /// Tensor names in canonical (UTF-8 byte) order.
    public var names: [String] {
        tensors.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Opens a file, memory-mapped.
    /// - Throws: ``SafetensorsError``.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafetensorsError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, source: url.path)
    }

    /// Reads a file held in memory; `source` names it in errors.
    /// - Throws: ``SafetensorsError``.
    public init(data: Data, source: String) throws {
        self.source = source
        self.data = data
        guard data.count >= 8 else { throw SafetensorsError.truncatedHeader(file: source, fileSize: data.count, headerBytes: 0) }
        var length: UInt64 = 0
        for index in 0..<8 { length |= UInt64(data[data.startIndex + index]) << (8 * UInt64(index)) }
        guard length <= UInt64(Safetensors.maximumHeaderBytes) else {
            throw SafetensorsError.headerTooLarge(file: source, headerBytes: Int(clamping: length),
                                                  limit: Safetensors.maximumHeaderBytes)
        }
        let headerBytes = Int(length)
        guard data.count >= 8 + headerBytes else {
            throw SafetensorsError.truncatedHeader(file: source, fileSize: data.count, headerBytes: headerBytes)
        }
        dataStart = 8 + headerBytes
        let header = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + dataStart))
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: header)
        } catch {
            throw SafetensorsError.malformedHeader(file: source, reason: "invalid JSON")
        }
        guard let entries = object as? [String: Any] else {
            throw SafetensorsError.malformedHeader(file: source, reason: "not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: Info] = [:]
        for (name, value) in entries {
            if name == "__metadata__" {
                guard let fields = value as? [String: Any] else {
                    throw SafetensorsError.malformedHeader(file: source, reason: "__metadata__ is not an object")
                }
                for (key, field) in fields {
                    guard let text = field as? String else {
                        throw SafetensorsError.malformedHeader(file: source, reason: "__metadata__ value of \(key) is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            tensors[name] = try Self.parseEntry(name: name, value: value, source: source)
        }
        // The entries must tile the data region in offset order (an empty tensor first among
        // those at its offset, as HF's reader sorts by begin and end).
        let dataBytes = data.count - dataStart
        var expected = 0
        for (name, info) in tensors.sorted(by: {
            ($0.value.range.lowerBound, $0.value.range.upperBound, $0.key) < ($1.value.range.lowerBound, $1.value.range.upperBound, $1.key)
        }) {
            guard info.range.upperBound <= dataBytes else {
                throw SafetensorsError.offsetsOutOfRange(file: source, tensor: name, begin: info.range.lowerBound,
                                                         end: info.range.upperBound, dataBytes: dataBytes)
            }
            guard info.range.lowerBound == expected else {
                throw SafetensorsError.offsetsNotContiguous(file: source, tensor: name, begin: info.range.lowerBound, expected: expected)
            }
            expected = info.range.upperBound
        }
        guard expected == dataBytes else { throw SafetensorsError.trailingBytes(file: source, indexed: expected, dataBytes: dataBytes) }
        self.metadata = metadata
        self.tensors = tensors
    }

    private static func parseEntry(name: String, value: Any, source: String) throws -> Info {
        guard let fields = value as? [String: Any] else {
            throw SafetensorsError.malformedEntry(file: source, tensor: name, reason: "entry is not an object")
        }
        guard let dtypeName = fields["dtype"] as? String else {
            throw SafetensorsError.malformedEntry(file: source, tensor: name, reason: "dtype missing or not a string")
        }
        guard let dtype = Safetensors.DType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(file: source, tensor: name, dtype: dtypeName)
        }
        guard let shape = Self.integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
            throw SafetensorsError.malformedEntry(file: source, tensor: name, reason: "shape is not a list of non-negative integers")
        }
        guard let offsets = Self.integers(fields["data_offsets"]), offsets.count == 2,
              offsets[0] >= 0, offsets[1] >= offsets[0] else {
            throw SafetensorsError.malformedEntry(file: source, tensor: name, reason: "data_offsets is not [begin, end] with 0 ≤ begin ≤ end")
        }
        // Extents come from an untrusted header: every product is checked, never trapped on.
        let (count, overflow) = shape.reduce((1, false)) { partial, extent in
            let (product, overflowed) = partial.0.multipliedReportingOverflow(by: extent)
            return (product, partial.1 || overflowed)
        }
        let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: dtype.byteCount)
        guard !overflow, !bytesOverflow, bytes == offsets[1] - offsets[0] else {
            throw SafetensorsError.sizeMismatch(file: source, tensor: name, shape: shape, dtype: dtypeName, bytes: offsets[1] - offsets[0])
        }
        return Info(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
    }

    /// Integers from a JSON array, or nil when it is not an array of integers.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        for element in array {
            // An NSNumber bridges to Int only when its value is integral (1.5 does not).
            guard let value = element as? Int else { return nil }
            result.append(value)
        }
        return result
    }

    /// The description of tensor `name`.
    /// - Throws: ``SafetensorsError/missingTensor(file:tensor:)``.
    public func info(_ name: String) throws -> Info {
        guard let info = tensors[name] else { throw SafetensorsError.missingTensor(file: source, tensor: name) }
        return info
    }

    /// The raw little-endian bytes of tensor `name`.
    public func bytes(_ name: String) throws -> [UInt8] {
        let info = try info(name)
        let start = data.startIndex + dataStart
        return [UInt8](data[(start + info.range.lowerBound)..<(start + info.range.upperBound)])
    }

    /// The values of a floating-point tensor (F32, F16, BF16 or F64) as Float32.
    /// - Throws: ``SafetensorsError/wrongDType(file:tensor:found:expected:)`` for integer tensors.
    public func floats(_ name: String) throws -> [Float] {
        let info = try info(name)
        let raw = try bytes(name)
        let count = info.shape.elementCount
        return try raw.withUnsafeBytes { raw -> [Float] in
            switch info.dtype {
            case .F32: return (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            case .F64: return (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
            case .F16: return (0..<count).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))) }
            case .BF16: return (0..<count).map { Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) << 16) }
            case .I64, .I32, .I16, .I8, .U16, .U8, .BOOL:
                throw SafetensorsError.wrongDType(file: source, tensor: name, found: info.dtype.rawValue, expected: "a floating-point type")
            }
        }
    }

    /// The values of an integer or boolean tensor (I64, I32, I16, I8, U16, U8, BOOL) as Int.
    /// - Throws: ``SafetensorsError/wrongDType(file:tensor:found:expected:)`` for float tensors.
    public func integers(_ name: String) throws -> [Int] {
        let info = try info(name)
        let raw = try bytes(name)
        let count = info.shape.elementCount
        return try raw.withUnsafeBytes { raw -> [Int] in
            switch info.dtype {
            case .I64: return (0..<count).map { Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self))) }
            case .I32: return (0..<count).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
            case .I16: return (0..<count).map { Int(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: Int16.self))) }
            case .U16: return (0..<count).map { Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
            case .I8: return (0..<count).map { Int(Int8(bitPattern: raw[$0])) }
            case .U8: return (0..<count).map { Int(raw[$0]) }
            case .BOOL:
                return try (0..<count).map {
                    guard raw[$0] <= 1 else {
                        throw SafetensorsError.malformedEntry(file: source, tensor: name, reason: "BOOL byte \(raw[$0]) at element \($0) is neither 0 nor 1")
                    }
                    return Int(raw[$0])
                }
            case .F64, .F32, .F16, .BF16:
                throw SafetensorsError.wrongDType(file: source, tensor: name, found: info.dtype.rawValue, expected: "an integer type")
            }
        }
    }

    /// A floating-point tensor as a ``Tensor`` named `name`.
    public func tensor(_ name: String) throws -> Tensor {
        Tensor(shape: try info(name).shape, values: try floats(name), name: name)
    }
}
