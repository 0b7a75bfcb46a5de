import Logging
import NIOCore
import NIOHTTPTypes

/// Closes connections whose client is too slow: a request head must arrive within `headTimeout`
/// of the connection's start or of the moment every request read has been answered and the
/// answers have left (so it also closes idle keep-alive connections); a request body must not
/// stall longer than `bodyReadTimeout` between parts; and a response written whole must reach
/// the client within `responseDrainTimeout`. Nothing runs while a complete request waits for
/// its response (a long poll takes as long as it needs). The clock for the next head starts only
/// when the response's last write has completed, so a long download is not cut while its bytes
/// are still queued.
final class HTTPTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headTimeout: TimeAmount
    private let bodyReadTimeout: TimeAmount
    private let responseDrainTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// A request's head has been read and its end not yet.
    private var readingRequest = false
    /// Complete requests read; responses whose last part was written; responses that have left.
    private var requestsRead = 0, responsesWritten = 0, responsesSent = 0

    init(headTimeout: TimeAmount, bodyReadTimeout: TimeAmount, responseDrainTimeout: TimeAmount) {
        self.headTimeout = headTimeout
        self.bodyReadTimeout = bodyReadTimeout
        self.responseDrainTimeout = responseDrainTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(headTimeout, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readingRequest = true
            arm(bodyReadTimeout, context: context)
        case .body:
            arm(bodyReadTimeout, context: context)
        case .end:
            readingRequest = false
            requestsRead += 1
            settle(context: context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        responsesWritten += 1
        settle(context: context)
        let sent = promise ?? context.eventLoop.makePromise(of: Void.self)
        sent.futureResult.assumeIsolated().whenSuccess { [weak self] in
            guard let self else { return }
            self.responsesSent += 1
            self.settle(context: context)
        }
        context.write(data, promise: sent)
    }

    /// The timer for where the connection stands, outside a request being read (whose parts keep
    /// the body timer): a response leaving, a request awaiting its response, or idle.
    private func settle(context: ChannelHandlerContext) {
        guard !readingRequest else { return }
        if responsesWritten > responsesSent {
            arm(responseDrainTimeout, context: context)
        } else if requestsRead > responsesWritten {
            disarm()  // the response may take as long as it needs (long poll)
        } else {
            arm(headTimeout, context: context)
        }
    }

    private func arm(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            context.close(promise: nil)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
