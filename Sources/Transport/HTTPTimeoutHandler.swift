import Logging
import NIOCore
import NIOHTTPTypes

/// Closes connections whose client is too slow: a request head must arrive within `headTimeout`
/// of the connection's start or of the moment every request read has been answered and the
/// answers have left (so it also closes idle keep-alive connections); a request body must not
/// stall longer than `bodyReadTimeout` between parts; and a response must reach the client within
/// `responseDrainTimeout` of its head (a streamed file included: a client that stops reading
/// cannot hold the connection for ever). Nothing runs while a complete request waits for its
/// response (a long poll takes as long as it needs). The clock for the next head starts only when
/// the response's last write has completed, so a long download is not cut while its bytes are
/// still queued.
final class HTTPTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Which deadline runs.
    private enum Clock { case head, body, drain, none }

    private let headTimeout: TimeAmount
    private let bodyReadTimeout: TimeAmount
    private let responseDrainTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var clock = Clock.none
    /// A request's head has been read and its end not yet.
    private var readingRequest = false
    /// Complete requests read; responses whose head was written; responses whose last write completed.
    private var requestsRead = 0, responsesStarted = 0, responsesSent = 0

    init(headTimeout: TimeAmount, bodyReadTimeout: TimeAmount, responseDrainTimeout: TimeAmount) {
        self.headTimeout = headTimeout
        self.bodyReadTimeout = bodyReadTimeout
        self.responseDrainTimeout = responseDrainTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        start(.head, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readingRequest = true
            start(.body, context: context)
        case .body:
            start(.body, context: context)  // each part restarts the stall clock
        case .end:
            readingRequest = false
            requestsRead += 1
            settle(context: context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head:
            responsesStarted += 1
            settle(context: context)
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            let sent = promise ?? context.eventLoop.makePromise(of: Void.self)
            sent.futureResult.assumeIsolated().whenSuccess { [weak self] in
                guard let self else { return }
                self.responsesSent += 1
                self.settle(context: context)
            }
            context.write(data, promise: sent)
        }
    }

    /// The clock for where the connection stands, outside a request being read (whose parts keep
    /// the body clock): a response under way, a request awaiting its response, or idle.
    private func settle(context: ChannelHandlerContext) {
        guard !readingRequest else { return }
        if responsesStarted > responsesSent {
            if clock != .drain { start(.drain, context: context) }  // from the head: the whole response
        } else if requestsRead > responsesStarted {
            start(.none, context: context)  // the response may take as long as it needs (long poll)
        } else {
            start(.head, context: context)
        }
    }

    private func start(_ next: Clock, context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        clock = next
        let timeout: TimeAmount
        switch next {
        case .head: timeout = headTimeout
        case .body: timeout = bodyReadTimeout
        case .drain: timeout = responseDrainTimeout
        case .none: return
        }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            context.close(promise: nil)
        }
    }
}
