/// Why a safetensors file could not be read. Each case names the file and, where there is one,
/// the tensor, with the value found.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case truncatedHeader(file: String, fileSize: Int, headerBytes: Int)
    case headerTooLarge(file: String, headerBytes: Int, limit: Int)
    case malformedHeader(file: String, reason: String)
    case unknownDType(file: String, tensor: String, dtype: String)
    case malformedEntry(file: String, tensor: String, reason: String)
    case offsetsOutOfRange(file: String, tensor: String, begin: Int, end: Int, dataBytes: Int)
    case offsetsNotContiguous(file: String, tensor: String, begin: Int, expected: Int)
    case sizeMismatch(file: String, tensor: String, shape: [Int], dtype: String, bytes: Int)
    case trailingBytes(file: String, indexed: Int, dataBytes: Int)
    case missingTensor(file: String, tensor: String)
    case wrongDType(file: String, tensor: String, found: String, expected: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot be read (\(reason))"
        case let .truncatedHeader(file, fileSize, headerBytes):
            return "\(file): truncated: \(fileSize) bytes cannot hold the 8-byte length and a \(headerBytes)-byte header"
        case let .headerTooLarge(file, headerBytes, limit):
            return "\(file): header of \(headerBytes) bytes exceeds the limit of \(limit) bytes"
        case let .malformedHeader(file, reason):
            return "\(file): header is not a safetensors JSON object (\(reason))"
        case let .unknownDType(file, tensor, dtype):
            return "\(file): tensor \(tensor) has unknown dtype \"\(dtype)\""
        case let .malformedEntry(file, tensor, reason):
            return "\(file): tensor \(tensor): \(reason)"
        case let .offsetsOutOfRange(file, tensor, begin, end, dataBytes):
            return "\(file): tensor \(tensor) has data_offsets [\(begin), \(end)] outside the \(dataBytes) data bytes"
        case let .offsetsNotContiguous(file, tensor, begin, expected):
            return "\(file): tensor \(tensor) starts at byte \(begin), expected \(expected) (tensors overlap or leave a gap)"
        case let .sizeMismatch(file, tensor, shape, dtype, bytes):
            return "\(file): tensor \(tensor) has \(bytes) bytes, which does not fit \(dtype) \(shape)"
        case let .trailingBytes(file, indexed, dataBytes):
            return "\(file): tensors cover \(indexed) of \(dataBytes) data bytes"
        case let .missingTensor(file, tensor):
            return "\(file): no tensor named \(tensor)"
        case let .wrongDType(file, tensor, found, expected):
            return "\(file): tensor \(tensor) is \(found), expected \(expected)"
        }
    }
}
