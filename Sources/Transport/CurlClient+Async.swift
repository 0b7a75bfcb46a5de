import Foundation

extension CurlClient {
    /// `get(_:timeout:)` on a thread of its own, so a long poll never blocks Swift's cooperative
    /// pool. Cancelling the task aborts the request within about a second.
    /// - Throws: `CancellationError` when cancelled, and the request errors.
    public func get(_ path: String, timeout: Double? = nil) async throws -> Response {
        try await CancellationFlag.onOwnThread { try self.get(path, timeout: timeout, cancellation: $0) }
    }

    /// `upload(file:to:headers:timeout:)` on a thread of its own; cancellable like `get`.
    public func upload(file: URL, to path: String, headers: [String: String] = [:], timeout: Double? = nil) async throws -> Response {
        try await CancellationFlag.onOwnThread { try self.upload(file: file, to: path, headers: headers, timeout: timeout, cancellation: $0) }
    }

    /// `download(_:to:timeout:)` on a thread of its own; cancellable like `get`.
    public func download(_ path: String, to file: URL, timeout: Double? = nil) async throws -> Response {
        try await CancellationFlag.onOwnThread { try self.download(path, to: file, timeout: timeout, cancellation: $0) }
    }
}
