import Logging
import NIOCore
import NIOHTTPTypes

/// Closes connections whose client is too slow: a request head must arrive within `headTimeout`
/// of the connection's start or of the previous response's end, a request body must not stall
/// longer than `bodyReadTimeout` between parts, and a written response must reach the client
/// within `responseDrainTimeout`. Long polls are unaffected: nothing runs while the server
/// prepares a response. The clock for the next head starts only when the response has been sent
/// (its last write completed), so a long download is not cut while its bytes are still queued.
final class HTTPTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headTimeout: TimeAmount
    private let bodyReadTimeout: TimeAmount
    private let responseDrainTimeout: TimeAmount
    private var deadline: Scheduled<Void>?

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
        case .head, .body: arm(bodyReadTimeout, context: context)
        case .end: disarm()  // the response may take as long as it needs (long poll)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        arm(responseDrainTimeout, context: context)
        let sent = promise ?? context.eventLoop.makePromise(of: Void.self)
        sent.futureResult.assumeIsolated().whenSuccess { [weak self] in
            guard let self else { return }
            self.arm(self.headTimeout, context: context)
        }
        context.write(data, promise: sent)
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
