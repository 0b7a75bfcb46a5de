import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// A Hummingbird child channel that puts `OpenSSLHandler` in front of another child channel
/// (`HTTP1Channel`), so the aggregator serves HTTP/1.1 over mutual TLS on the system's OpenSSL.
///
/// ```swift
/// let tls = try OpenSSLServerContext(configuration: configuration, revocationCheck: check)
/// let app = Application(router: router, server: .mutualTLS(context: tls, limits: HTTPServerLimits()))
/// ```
public struct OpenSSLChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    public typealias Value = BaseChannel.Value

    /// The TLS context shared by all connections.
    public let context: OpenSSLServerContext
    /// The channel that handles the decrypted bytes.
    public let baseChannel: BaseChannel

    /// Wraps `baseChannel` in TLS.
    public init(_ baseChannel: BaseChannel, context: OpenSSLServerContext) {
        self.baseChannel = baseChannel
        self.context = context
    }

    /// Adds an `OpenSSLHandler` to the new connection, then sets up the base channel behind it.
    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(OpenSSLHandler(context: context, logger: logger))
        }.flatMap {
            baseChannel.setup(channel: channel, logger: logger)
        }
    }

    /// Hands the connection to the base channel.
    public func handle(value: Value, logger: Logger) async {
        await baseChannel.handle(value: value, logger: logger)
    }
}

extension OpenSSLChannel: HTTPChannelHandler where BaseChannel: HTTPChannelHandler {
    /// The base channel's responder.
    public var responder: HTTPChannelHandler.Responder { baseChannel.responder }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 over mutual TLS with `OpenSSLChannel`, with the timeouts and header limits of `limits`.
    /// - Parameters:
    ///   - context: the server's TLS context.
    ///   - limits: header sizes and timeouts (the body limit is `RequestSizeLimitMiddleware`'s).
    public static func mutualTLS(context: OpenSSLServerContext, limits: HTTPServerLimits = HTTPServerLimits()) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            // No Hummingbird idle timeout: it counts from when a response's last part is queued,
            // not sent, so it would cut a download that takes longer; `HTTPTimeoutHandler` closes
            // idle connections from when the response has been sent.
            var configuration = HTTP1Channel.Configuration(
                additionalChannelHandlers: [
                    HTTPTimeoutHandler(headTimeout: limits.requestHeadTimeout, bodyReadTimeout: limits.bodyReadTimeout,
                                       responseDrainTimeout: limits.responseDrainTimeout)
                ],
                idleTimeout: nil)
            configuration.httpDecoder = .init(maxHeaderFieldSize: limits.maxHeaderBytes,
                                              maxHeaderListSize: limits.maxHeaderBytes)
            return OpenSSLChannel(HTTP1Channel(responder: responder, configuration: configuration), context: context)
        }
    }
}
