import Logging
import NIOCore
import NIOHTTPTypes

/// Closes connections whose client is too slow: a request head must arrive within `headTimeout`
/// of the connection's start or of the previous response's end, and a request body must not stall
/// longer than `bodyReadTimeout` between parts. Long polls are unaffected: the clock for the
/// next head starts only when the response has been written.
final class HTTPTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headTimeout: TimeAmount
    private let bodyReadTimeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(headTimeout: TimeAmount, bodyReadTimeout: TimeAmount) {
        self.headTimeout = headTimeout
        self.bodyReadTimeout = bodyReadTimeout
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
        if case .end = unwrapOutboundIn(data) { arm(headTimeout, context: context) }
        context.write(data, promise: promise)
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
