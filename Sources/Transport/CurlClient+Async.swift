import Foundation

extension CurlClient {
    /// `get(_:timeout:)` on a thread of its own, so a long poll never blocks Swift's cooperative pool.
    public func get(_ path: String, timeout: Double? = nil) async throws -> Response {
        try await Self.onOwnThread { try self.get(path, timeout: timeout) }
    }

    /// `upload(file:to:headers:timeout:)` on a thread of its own.
    public func upload(file: URL, to path: String, headers: [String: String] = [:], timeout: Double? = nil) async throws -> Response {
        try await Self.onOwnThread { try self.upload(file: file, to: path, headers: headers, timeout: timeout) }
    }

    /// `download(_:to:timeout:)` on a thread of its own.
    public func download(_ path: String, to file: URL, timeout: Double? = nil) async throws -> Response {
        try await Self.onOwnThread { try self.download(path, to: file, timeout: timeout) }
    }

    /// Runs blocking libcurl work on a new thread and resumes with its result.
    private static func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Swift.Result { try body() }) }.start()
        }
    }
}
