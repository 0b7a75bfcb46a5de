import Foundation
import Hummingbird
import InMemoryLogging
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Security
import ServiceLifecycle
import Transport

/// A live aggregator-shaped server for tests: Hummingbird over `OpenSSLChannel` on 127.0.0.1,
/// port 0, in a `ServiceGroup`, stopped with `triggerGracefulShutdown()` when the body returns.
///
/// Routes: `GET /healthz` answers "ok <site id>"; `PUT /upload` streams the body and answers
/// "<byte count> <sha256 hex>"; `GET /bytes/{count}` streams `TestServer.pattern` bytes;
/// `GET /blob/{count}` answers them as one buffer, as the aggregator serves files;
/// everything else is 404 through `JSONErrorMiddleware`.
struct TestServer {
    let port: Int
    /// What the server logged (the TLS refusals among it).
    let logs: InMemoryLogHandler
    /// How many `/hold` requests have reached the handler, and how many it has answered.
    let holds: HoldEvents

    static func run<Result: Sendable>(
        pki: TestPKI, certificate: String = "server", revokedSerials: @escaping @Sendable () -> Set<String> = { [] },
        policy: TLSPolicy = TLSPolicy(), limits: HTTPServerLimits = HTTPServerLimits(),
        _ body: (TestServer) async throws -> Result
    ) async throws -> Result {
        let configuration = try TLSServerConfiguration(
            certificateFile: pki.file("\(certificate).pem"), privateKeyFile: pki.file("\(certificate)-key.pem"),
            trustAnchorFile: pki.caFile, policy: policy)
        let tls = try OpenSSLServerContext(configuration: configuration, revocationCheck: RevocationCheck { serial in
            try RevocationCheck.serials(revokedSerials()).isRevoked(serial)
        })
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "tessera.test-server") { _ in logs }
        logger.logLevel = .info

        let router = Router(context: MutualTLSRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: RequestSizeLimitMiddleware(maxBodyBytes: limits.maxRequestBodyBytes))
        router.get("/healthz") { _, context in "ok \(context.peer?.siteID ?? "-")" }
        router.put("/upload") { request, _ in
            let hasher = try SHA256()
            var count = 0
            for try await buffer in request.body {
                try hasher.update(buffer.readableBytesView)
                count += buffer.readableBytes
            }
            return "\(count) \(try hasher.finalize().hex)"
        }
        // A long poll that nothing ends early: answers after 10 s.
        let holds = HoldEvents()
        router.get("/hold") { _, _ in
            holds.entered.withLockedValue { $0 += 1 }
            try await Task.sleep(for: .seconds(10))
            holds.answered.withLockedValue { $0 += 1 }
            return "held"
        }
        router.get("/blob/{count}") { _, context in
            let count = try context.parameters.require("count", as: Int.self)
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: pattern(offset: 0, count: count))))
        }
        router.get("/bytes/{count}") { _, context in
            let count = try context.parameters.require("count", as: Int.self)
            return Response(status: .ok, body: ResponseBody { writer in
                var sent = 0
                while sent < count {
                    let chunk = min(1 << 20, count - sent)
                    try await writer.write(ByteBuffer(bytes: pattern(offset: sent, count: chunk)))
                    sent += chunk
                }
                try await writer.finish(nil)
            })
        }

        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, server: .mutualTLS(context: tls, limits: limits),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                await group.triggerGracefulShutdown()
                throw TestServerError.didNotStart
            }
            do {
                let result = try await body(TestServer(port: port, logs: logs, holds: holds))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()  // the body's error is the one to report
                throw error
            }
        }
    }

    /// The TLS refusals logged so far, as their error descriptions.
    var tlsErrors: [String] {
        logs.entries.compactMap { $0.metadata["tls.error"].map { "\($0)" } }
    }
}

/// The `/hold` route's events, counted under locks.
final class HoldEvents: Sendable {
    let entered = NIOLockedValueBox(0)
    let answered = NIOLockedValueBox(0)
}

/// Deterministic test bytes: byte `i` of a stream is `(i * 7 + i / 4096) % 251`.
func pattern(offset: Int, count: Int) -> [UInt8] {
    (offset..<(offset + count)).map { UInt8(truncatingIfNeeded: ($0 * 7 + $0 / 4096) % 251) }
}

enum TestServerError: Error {
    case didNotStart
}
