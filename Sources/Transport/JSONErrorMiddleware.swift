import Foundation
import Hummingbird
import Logging

/// Answers every error as JSON, `{"error":{"code":"…","message":"…"}}`, with its status:
/// `APIError` as given, Hummingbird's `HTTPResponseError`s (404 for unknown routes, 413…) with
/// the status's code and their message, anything else as 500 "internal" with a
/// generic message (the error itself is logged, never sent).
public struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// A middleware; add it first so it sees every error.
    public init() {}

    /// Runs the rest of the chain and turns a thrown error into a JSON response.
    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return Self.response(status: error.status, code: error.code, message: error.message)
        } catch let error as HTTPError {
            return Self.response(status: error.status, code: APIError.code(for: error.status),
                                 message: error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError {
            return Self.response(status: error.status, code: APIError.code(for: error.status),
                                 message: error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["http.error": "\(error)"])
            return Self.response(status: .internalServerError, code: "internal",
                                 message: "the aggregator failed to handle the request; its log has the details")
        }
    }

    /// The JSON error response.
    public static func response(status: HTTPResponse.Status, code: String, message: String) -> Response {
        let body = ErrorBody(error: .init(code: code, message: message))
        let bytes = (try? JSONEncoder().encode(body)) ?? Data("{}".utf8)  // try?: encoding two strings cannot fail
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private struct ErrorBody: Encodable {
        struct Detail: Encodable {
            let code: String
            let message: String
        }
        let error: Detail
    }
}
