/// Why upload headers were refused (answered with 400 and ``ErrorCode/badRequest`` or
/// ``ErrorCode/unsupportedProtocolVersion``).
public enum UploadMetadataError: Error, Equatable, CustomStringConvertible {
    case missingHeader(name: String)
    case invalidHeader(name: String, value: String, expected: String)
    case unsupportedProtocolVersion(found: Int, expected: Int)

    /// The wire code for this error.
    public var code: ErrorCode {
        switch self {
        case .missingHeader, .invalidHeader: return .badRequest
        case .unsupportedProtocolVersion: return .unsupportedProtocolVersion
        }
    }

    public var description: String {
        switch self {
        case let .missingHeader(name):
            return "upload: header \(name) is missing"
        case let .invalidHeader(name, value, expected):
            return "upload: header \(name) is \"\(value)\", expected \(expected)"
        case let .unsupportedProtocolVersion(found, expected):
            return "upload: protocol version \(found) is not supported (the aggregator speaks \(expected)); upgrade the site"
        }
    }
}
