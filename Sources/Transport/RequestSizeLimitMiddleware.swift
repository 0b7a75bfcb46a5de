import Hummingbird

/// Refuses request bodies larger than a limit with 413 "too-large": at once when the
/// Content-Length says so, otherwise as soon as the streamed body passes the limit, so an
/// oversized upload is never buffered.
public struct RequestSizeLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The largest body accepted, in bytes.
    public let maxBodyBytes: Int

    /// A limit of `maxBodyBytes` (see `HTTPServerLimits.maxRequestBodyBytes`).
    public init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// Checks Content-Length, then wraps the body in a counting stream.
    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            throw tooLarge
        }
        var request = request
        request.body = RequestBody(asyncSequence: LimitedBody(base: request.body, limit: maxBodyBytes, error: tooLarge))
        return try await next(request, context)
    }

    private var tooLarge: APIError {
        APIError(status: .contentTooLarge, code: "too-large",
                 message: "the request body exceeds \(maxBodyBytes) bytes")
    }
}

/// A body stream that throws once more than `limit` bytes have passed.
private struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let limit: Int
    let error: APIError

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let limit: Int
        let error: APIError
        var count = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            count += buffer.readableBytes
            guard count <= limit else { throw error }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), limit: limit, error: error)
    }
}
