import Security
import Tensor

/// Why a delta container could not be written or read. Each case names the container (`file`:
/// a path, or e.g. "upload from site-a, round 3") and, where there is one, the tensor or
/// metadata key, with the value found and the value expected.
public enum DeltaContainerError: Error, Equatable, CustomStringConvertible {
    // Writing.
    case invalidTensor(tensor: String, reason: String)
    case invalidMetric(name: String, reason: String)
    case invalidHeader(reason: String)
    case compressionFailed(reason: String)
    // The zstd layer.
    case notZstd(file: String, reason: String)
    case contentSizeMissing(file: String)
    case tooLarge(file: String, declaredBytes: Int, limit: Int)
    case exceedsDeclaredSize(file: String, declaredBytes: Int)
    case truncated(file: String, producedBytes: Int, declaredBytes: Int)
    case trailingBytes(file: String, frameBytes: Int, totalBytes: Int)
    case decompressionFailed(file: String, zstdError: String)
    // The safetensors layer and its header metadata.
    case malformed(SafetensorsError)
    case notCanonical(file: String)
    case digestMismatch(file: String, found: SHA256.Digest, expected: SHA256.Digest)
    case missingMetadata(file: String, key: String)
    case invalidMetadata(file: String, key: String, value: String, expected: String)
    case unexpectedMetadata(file: String, key: String)
    case headerMismatch(file: String, field: String, found: String, expected: String)
    // The tensors.
    case dtypeMismatch(file: String, tensor: String, found: String, expected: String)
    case missingTensor(file: String, tensor: String)
    case unexpectedTensor(file: String, tensor: String)
    case shapeMismatch(file: String, tensor: String, found: [Int], expected: [Int])
    case nonFiniteValue(file: String, tensor: String, index: Int, value: Float)

    /// The wire code the aggregator answers with (``ErrorBody``).
    public var code: ErrorCode {
        switch self {
        case .tooLarge, .exceedsDeclaredSize: return .tooLarge
        case .digestMismatch: return .digestMismatch
        case .headerMismatch(_, let field, _, _):
            switch field {
            case DeltaContainer.MetadataKey.baseDigest: return .staleBase
            case DeltaContainer.MetadataKey.round: return .wrongRound
            default: return .corruptBody
            }
        case .dtypeMismatch, .missingTensor, .unexpectedTensor, .shapeMismatch: return .wrongTensors
        case .nonFiniteValue: return .nonFinite
        case .invalidTensor, .invalidMetric, .invalidHeader, .compressionFailed: return .internalError
        case .notZstd, .contentSizeMissing, .truncated, .trailingBytes, .decompressionFailed, .malformed, .notCanonical,
             .missingMetadata, .invalidMetadata, .unexpectedMetadata:
            return .corruptBody
        }
    }

    public var description: String {
        switch self {
        case let .invalidTensor(tensor, reason):
            return "delta container: tensor \(tensor) cannot be written: \(reason)"
        case let .invalidMetric(name, reason):
            return "delta container: metric \"\(name)\" cannot be written: \(reason)"
        case let .invalidHeader(reason):
            return "delta container: header cannot be written: \(reason)"
        case let .compressionFailed(reason):
            return "delta container: \(reason)"
        case let .notZstd(file, reason):
            return "\(file): not a zstd-compressed delta container: \(reason)"
        case let .contentSizeMissing(file):
            return "\(file): the zstd frame does not declare its content size (containers always do)"
        case let .tooLarge(file, declaredBytes, limit):
            return "\(file): declares \(declaredBytes) decompressed bytes, more than the limit of \(limit); refused before decompressing"
        case let .exceedsDeclaredSize(file, declaredBytes):
            return "\(file): decompresses to more than the \(declaredBytes) bytes its frame declares"
        case let .truncated(file, producedBytes, declaredBytes):
            return "\(file): the zstd frame ends after \(producedBytes) of its \(declaredBytes) bytes (truncated upload?)"
        case let .trailingBytes(file, frameBytes, totalBytes):
            return "\(file): \(totalBytes - frameBytes) bytes follow the \(frameBytes)-byte zstd frame"
        case let .decompressionFailed(file, zstdError):
            return "\(file): zstd cannot decompress it: \(zstdError)"
        case let .malformed(error):
            return "\(error)"
        case let .notCanonical(file):
            return "\(file): the safetensors bytes are not in Tessera's canonical form (sorted keys, name order, no whitespace, padding)"
        case let .digestMismatch(file, found, expected):
            return "\(file): digest is \(found.hex), expected \(expected.hex)"
        case let .missingMetadata(file, key):
            return "\(file): header metadata lacks \(key)"
        case let .invalidMetadata(file, key, value, expected):
            return "\(file): header metadata \(key) is \"\(value)\", expected \(expected)"
        case let .unexpectedMetadata(file, key):
            return "\(file): header metadata has unknown key \(key)"
        case let .headerMismatch(file, field, found, expected):
            return "\(file): \(field) is \(found), expected \(expected)"
        case let .dtypeMismatch(file, tensor, found, expected):
            return "\(file): tensor \(tensor) is \(found), expected \(expected)"
        case let .missingTensor(file, tensor):
            return "\(file): tensor \(tensor) is missing"
        case let .unexpectedTensor(file, tensor):
            return "\(file): tensor \(tensor) is not in the plan's tensor list"
        case let .shapeMismatch(file, tensor, found, expected):
            return "\(file): tensor \(tensor) has shape \(found), expected \(expected)"
        case let .nonFiniteValue(file, tensor, index, value):
            return "\(file): tensor \(tensor) holds \(value) at element \(index); updates must be finite"
        }
    }
}
