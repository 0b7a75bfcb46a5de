import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A minimal HTTP CONNECT proxy on 127.0.0.1 for tests: it tunnels to loopback targets only,
/// answers anything else with 403, and counts the tunnels it opened.
public final class ConnectProxy: Sendable {
    public let port: Int
    private let channel: any Channel
    private let tunnels: NIOLockedValueBox<[String]>

    /// The targets ("127.0.0.1:PORT") tunnelled so far.
    public var tunnelledTargets: [String] { tunnels.withLockedValue { $0 } }

    public static func start() async throws -> ConnectProxy {
        let tunnels = NIOLockedValueBox<[String]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ConnectHandler(tunnels: tunnels))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ConnectProxy(channel: channel, port: channel.localAddress?.port ?? 0, tunnels: tunnels)
    }

    private init(channel: any Channel, port: Int, tunnels: NIOLockedValueBox<[String]>) {
        self.channel = channel
        self.port = port
        self.tunnels = tunnels
    }

    public func stop() async throws {
        try await channel.close()
    }
}

/// Reads one CONNECT request, connects to the target, answers 200 and then relays bytes both ways.
private final class ConnectHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let tunnels: NIOLockedValueBox<[String]>
    private var head = ByteBuffer()
    private var partner: (any Channel)?
    private var connecting = false

    init(tunnels: NIOLockedValueBox<[String]>) {
        self.tunnels = tunnels
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if let partner {
            partner.writeAndFlush(buffer, promise: nil)
            return
        }
        guard !connecting else { return }  // the client waits for our 200 before sending more
        head.writeBuffer(&buffer)
        let text = String(buffer: head)
        guard text.contains("\r\n\r\n") else { return }
        let words = text.split(separator: " ", maxSplits: 2)
        let target = words.count == 3 && words[0] == "CONNECT" ? String(words[1]) : ""
        let parts = target.split(separator: ":")
        guard parts.count == 2, parts[0] == "127.0.0.1", let port = Int(parts[1]) else {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 403 Forbidden\r\n\r\n")), promise: nil)
            context.close(promise: nil)
            return
        }
        connecting = true
        tunnels.withLockedValue { $0.append(target) }
        let client = context.channel
        ClientBootstrap(group: context.eventLoop)
            .channelInitializer { outbound in
                outbound.eventLoop.makeCompletedFuture {
                    try outbound.pipeline.syncOperations.addHandler(RelayHandler(partner: client))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let outbound):
                    self.partner = outbound
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n")), promise: nil)
                case .failure:
                    context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 502 Bad Gateway\r\n\r\n")), promise: nil)
                    context.close(promise: nil)
                }
            }
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.close(promise: nil)
    }
}

/// Relays the target's bytes back to the proxy's client.
private final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let partner: any Channel

    init(partner: any Channel) {
        self.partner = partner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner.close(promise: nil)
    }
}
