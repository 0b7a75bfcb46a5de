import Hummingbird
import Protocols
import Transport

/// A request for a path of the API with a method the API does not have (TRACE /healthz, POST
/// /v1/ledger) gets 405 with an `Allow` header naming the methods it has, not the router's 404.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = APIRoute.allCases.filter { Self.path(request.uri.path, matches: $0.path) }.map(\.method)
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw error }
            var response = JSONErrorMiddleware<Context>.response(
                status: .methodNotAllowed, code: APIError.code(for: .methodNotAllowed),
                message: "\(request.method.rawValue) is not a method of \(request.uri.path); it has \(allowed.joined(separator: ", "))")
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
    }

    /// Whether `path` fits `template` (`/v1/models/{digest}`): same segments, any value in braces.
    static func path(_ path: String, matches template: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let pattern = template.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == pattern.count && zip(parts, pattern).allSatisfy { $1.hasPrefix("{") || $0 == $1 }
    }
}
