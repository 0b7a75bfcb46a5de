/// The JSON body of every 4xx and 5xx answer: `{"error":{"code":"stale-base","message":"…"}}`.
/// `code` is for programs, `message` a sentence for hospital IT. Unknown fields are ignored.
public struct ErrorBody: Codable, Equatable, Sendable {
    public struct Detail: Codable, Equatable, Sendable {
        public var code: ErrorCode
        public var message: String
    }

    public var error: Detail

    public init(code: ErrorCode, message: String) {
        error = Detail(code: code, message: message)
    }
}
