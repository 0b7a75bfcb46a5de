import Hummingbird

/// An HTTP error with a machine-readable code, answered as
/// `{"error":{"code":"…","message":"…"}}` by `JSONErrorMiddleware`.
public struct APIError: Error, Equatable, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// A stable snake_case code clients switch on ("content_too_large", "wrong_round").
    public let code: String
    /// A sentence for the site's IT ("the body exceeds 1073741824 bytes").
    public let message: String

    /// An error with an explicit code.
    public init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The code for a status without a more specific one: its reason phrase in snake_case
    /// (413 → "content_too_large").
    public static func code(for status: HTTPResponse.Status) -> String {
        status.reasonPhrase.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.reduce(into: "") { $0.append($1) }
    }
}
