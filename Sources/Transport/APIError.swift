import Hummingbird

/// An HTTP error with a machine-readable code, answered as
/// `{"error":{"code":"…","message":"…"}}` by `JSONErrorMiddleware`.
public struct APIError: Error, Equatable, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// A stable code clients switch on (`too-large`, `wrong-round`: Protocols' `ErrorCode` values).
    public let code: String
    /// A sentence for the site's IT ("the body exceeds 1073741824 bytes").
    public let message: String

    /// An error with an explicit code.
    public init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The code for a status without a more specific one, in the protocol's vocabulary
    /// (Protocols' `ErrorCode`): 400 `bad-request`, 404 `not-found`, 413 `too-large`,
    /// 500 `internal`, 503 `unavailable`; any other status its reason phrase in kebab-case.
    public static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: return "bad-request"
        case 404: return "not-found"
        case 413: return "too-large"
        case 500: return "internal"
        case 503: return "unavailable"
        default:
            return status.reasonPhrase.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce(into: "") { $0.append($1) }
        }
    }
}
