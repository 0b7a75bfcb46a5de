import Hummingbird
import Protocols

/// An upload the aggregator refuses: the protocol's code (its HTTP status follows from it) and a
/// sentence for the site's IT. Every rejection that concerns a site is also a ledger entry.
public struct UploadRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

extension ErrorCode {
    /// The HTTP status that goes with the code (``ErrorCode``'s documentation lists them).
    public var httpStatus: HTTPResponse.Status {
        switch self {
        case .badRequest, .unsupportedProtocolVersion: return .badRequest
        case .notEnrolled: return .forbidden
        case .notFound: return .notFound
        case .wrongRound, .staleBase, .replacementNotAllowed: return .conflict
        case .tooLarge: return .contentTooLarge
        case .corruptBody, .digestMismatch, .wrongTensors, .nonFinite, .normOutlier: return .unprocessableContent
        case .unavailable: return .serviceUnavailable
        default: return .internalServerError
        }
    }
}
