import Foundation
import Hummingbird
import Ledger
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PlanBinding
import Protocols
import Security
import ServiceLifecycle
import Synchronization
import Transport

/// The HTTPS API of ARCHITECTURE.md (mutual TLS through OpenSSL) over an ``Aggregator``, and the
/// round driver that closes, aggregates and opens rounds; `run()` serves until SIGTERM or SIGINT
/// and then drains: requests in flight finish, the driver stops between steps.
public struct AggregatorServer: Sendable {
    public let aggregator: Aggregator
    let logger: Logger
    /// How often the driver looks at the current round.
    let tick: Duration
    /// Uploads being received now, at most the configuration's `maximum_concurrent_uploads`.
    let uploadsInFlight = NIOLockedValueBox(0)
    /// Wakes the round driver before its next tick when an upload may have completed the round.
    let roundDriverWakeUp = RoundDriver.WakeUp()

    /// How long a graceful shutdown may drain before what is left is cancelled.
    public static let maximumDrain: Duration = .seconds(60)

    public init(aggregator: Aggregator, logger: Logger, tick: Duration = .milliseconds(250)) {
        self.aggregator = aggregator
        self.logger = logger
        self.tick = tick
    }

    /// Serves until a shutdown signal (or `group.triggerGracefulShutdown()`).
    /// - Parameters:
    ///   - handlesSignals: stop gracefully on SIGTERM and SIGINT (tests that run several servers
    ///   in one process pass false and cancel instead).
    ///   - onListening: called with the bound port (useful with port 0).
    public func run(handlesSignals: Bool = true, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let configuration = aggregator.configuration
        let tls = try OpenSSLServerContext(
            configuration: TLSServerConfiguration(certificateFile: configuration.certificateFile,
                                                  privateKeyFile: configuration.privateKeyFile, trustAnchorFile: configuration.caFile),
            revocationCheck: RevocationCheck { [aggregator] serial in
                let revoked = try aggregator.isRevoked(serial: serial)
                if revoked { aggregator.metrics.handshakesRefused.increment() }
                return revoked
            })
        let app = Application(
            router: makeRouter(), server: .mutualTLS(context: tls),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
        let driver = RoundDriver(aggregator: aggregator, logger: logger, tick: tick, wakeUp: roundDriverWakeUp)
        // Services stop in reverse order: the server drains first (no new connection; requests in
        // flight finish), then the driver stops between steps. A drain waits for requests in
        // flight, and an upload over a slow link can take an hour: after a minute what is left is
        // cancelled (its site sends the same bytes again, to the same receipt).
        var groupConfiguration = ServiceGroupConfiguration(services: [driver, app], gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [],
                                                           logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = Self.maximumDrain
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
    }

    /// The routes of ``APIRoute``, each handled below.
    func makeRouter() -> Router<MutualTLSRequestContext> {
        let router = Router(context: MutualTLSRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware())
        router.get("/v1/rounds/current") { request, context in try await currentRound(request, context) }
        router.get("/v1/models/:digest") { _, context in try await model(context) }
        router.get("/v1/base/:digest/:file") { _, context in try await baseFile(context) }
        router.put("/v1/rounds/:id/updates") { request, context in try await upload(request, context) }
        router.get("/v1/ledger") { request, _ in
            let after = try integer(request, "after") ?? 0
            return try json(try aggregator.ledger.page(after: after, limit: 500))
        }
        router.get("/v1/ledger/head") { _, _ in try json(try aggregator.ledger.head()) }
        router.get("/v1/ledger/certificate") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/x-pem-file"],
                     body: .init(byteBuffer: ByteBuffer(string: try aggregator.ledger.certificate.pemRepresentation())))
        }
        router.get("/healthz") { _, _ in "ok" }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: aggregator.metrics.text())))
        }
        return router
    }

    // MARK: - Handlers

    /// The enrolled, unrevoked site behind the connection.
    private func enrolledSite(_ context: MutualTLSRequestContext) throws -> PeerIdentity {
        guard let peer = context.peer else { throw apiError(.notEnrolled, "no client certificate on this connection") }
        guard let site = try aggregator.site(peer.siteID), site.revokedAt == nil,
              site.serial == peer.serialNumber else {
            throw apiError(.notEnrolled, "site \(peer.siteID) (certificate serial \(peer.serialNumber)) is not enrolled")
        }
        return peer
    }

    private func currentRound(_ request: Request, _ context: MutualTLSRequestContext) async throws -> Response {
        _ = try enrolledSite(context)
        let after = try integer(request, "after")
        let requested = try integer(request, "wait") ?? 0
        guard requested <= Self.maximumWaitSeconds else {
            throw apiError(.badRequest, "query parameter wait must be at most \(Self.maximumWaitSeconds) seconds, not \(requested)")
        }
        let wait = min(Double(requested), Double(aggregator.configuration.maximumPollSeconds))
        let until = ContinuousClock.now + .milliseconds(Int(wait * 1000))
        while true {
            let round = try aggregator.currentRound()
            if let round, after.map({ round.id > $0 }) ?? true { return try json(try aggregator.status(of: round)) }
            guard ContinuousClock.now < until, !Task.isShuttingDownGracefully else {
                guard let round else { throw apiError(.notFound, "no campaign has started yet") }
                return try json(try aggregator.status(of: round))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private func model(_ context: MutualTLSRequestContext) async throws -> Response {
        _ = try enrolledSite(context)
        let digest = try pathDigest(context)
        // Only published global adapters are served; a site's update never leaves the aggregator.
        guard try aggregator.rounds().contains(where: { $0.resultDigest == digest.hex }), aggregator.blobs.contains(digest) else {
            throw apiError(.notFound, "no global adapter has digest \(digest.hex)")
        }
        return try await fileResponse(aggregator.blobs.url(for: digest), context: context,
                                      headers: [.contentType: "application/octet-stream", Self.digestHeader: digest.hex])
    }

    /// A file streamed from disk in chunks of 1 MiB: a base model's weights run to gigabytes, which
    /// read whole would hold several copies per download (and past 4 GiB overflow a ByteBuffer).
    /// Bytes count as sent chunk by chunk, as they are handed on (a cut download counts what went).
    private func fileResponse(_ url: URL, context: MutualTLSRequestContext, headers: HTTPFields) async throws -> Response {
        let file = try await FileIO().loadFile(path: url.path, context: context, chunkLength: 1 << 20)
        let sent = aggregator.metrics.bytesSent
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: file.contentLength) { writer in
            try await file.write(writer.map { chunk in
                sent.increment(by: Int64(chunk.readableBytes))
                return chunk
            })
        })
    }

    private func baseFile(_ context: MutualTLSRequestContext) async throws -> Response {
        _ = try enrolledSite(context)
        let digest = try pathDigest(context)
        let file = context.parameters.get("file") ?? ""
        let url = aggregator.storedBaseDirectory(for: digest).appendingPathComponent(file)
        guard BaseModelDirectory.fileNames.contains(file), FileManager.default.fileExists(atPath: url.path) else {
            throw apiError(.notFound, "base model \(digest.hex) has no file \(file)")
        }
        return try await fileResponse(url, context: context, headers: [.contentType: "application/octet-stream"])
    }

    private func upload(_ request: Request, _ context: MutualTLSRequestContext) async throws -> Response {
        guard let peer = context.peer else { throw apiError(.notEnrolled, "no client certificate on this connection") }
        guard let id = context.parameters.get("id", as: Int.self), id >= 0 else {
            throw apiError(.badRequest, "the round in the path must be a non-negative integer")
        }
        // Memory grows with the uploads in flight: past the limit a site gets 503 and retries.
        let limit = aggregator.configuration.maximumConcurrentUploads
        let admitted = uploadsInFlight.withLockedValue { count -> Bool in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else {
            aggregator.metrics.rejected(ErrorCode.unavailable.rawValue)
            throw apiError(.unavailable, "the aggregator is receiving its maximum of \(limit) uploads at once; retry shortly")
        }
        defer { uploadsInFlight.withLockedValue { $0 -= 1 } }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let contentLength = request.headers[.contentLength].flatMap { Int($0) }
        do {
            let admission = try aggregator.admitUpload(round: id, site: peer.siteID, serial: peer.serialNumber,
                                                       headers: headers, contentLength: contentLength)
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: admission.maximumBodyBytes)
            } catch let error as HTTPError where error.status == .contentTooLarge {
                throw aggregator.rejection(round: id, site: peer.siteID, digest: admission.metadata.digest, .tooLarge,
                                           "the body exceeds the plan's \(admission.maximumBodyBytes) bytes")
            }
            aggregator.metrics.bytesReceived.increment(by: Int64(body.readableBytes))
            // Decoding, checking and fsync block: on a thread of their own, not the pool's.
            let receipt = try await CancellationFlag.onOwnThread { [aggregator] _ in try aggregator.accept(admission, body: Array(buffer: body)) }
            // The update may complete the round: the driver closes it now rather than at its next tick.
            roundDriverWakeUp.wake()
            return try json(receipt)
        } catch let rejection as UploadRejection {
            throw apiError(rejection.code, rejection.message)
        } catch let error as AggregatorError {
            context.logger.error("upload failed", metadata: ["round": "\(id)", "error": "\(error)"])
            throw apiError(.internalError, "the aggregator could not store the update (\(error)); retry later")
        }
    }

    // MARK: - Helpers

    static let digestHeader = HTTPFields.Element.Name(UploadMetadata.Header.digest)!
    /// The largest `wait` the API accepts (openapi.yaml); the configuration may hold polls shorter.
    static let maximumWaitSeconds = 300

    private func apiError(_ code: ErrorCode, _ message: String) -> APIError {
        APIError(status: code.httpStatus, code: code.rawValue, message: message)
    }

    private func integer(_ request: Request, _ name: String) throws -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text), value >= 0 else { throw apiError(.badRequest, "query parameter \(name) must be a non-negative integer, not \(text)") }
        return value
    }

    private func pathDigest(_ context: MutualTLSRequestContext) throws -> SHA256.Digest {
        let text = context.parameters.get("digest") ?? ""
        guard let digest = try? SHA256.Digest(hex: text) else {  // try?: any unreadable digest is the same 404
            throw apiError(.notFound, "\(text) is not a digest (64 hexadecimal digits)")
        }
        return digest
    }

    private func json(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try WireJSON.encode(value))))
    }
}

/// Looks at the current round every tick, or sooner when woken, and moves it on
/// (``Aggregator/advance()``, on a thread of its own: aggregating blocks, and the handlers must keep
/// answering meanwhile). Every step runs here, one at a time, so a graceful shutdown waits for the
/// one under way. A failing step (a full disk while publishing) is logged and retried, the round
/// staying as it was.
struct RoundDriver: Service {
    let aggregator: Aggregator
    let logger: Logger
    let tick: Duration
    let wakeUp: WakeUp

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                _ = try await CancellationFlag.onOwnThread { [aggregator] _ in try aggregator.advance() }
                await wakeUp.pause(upTo: tick)
            } catch {
                logger.error("round step failed; retrying in 5 s", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(5))  // try?: cancellation ends the loop at the check above
            }
        }
    }

    /// Ends the driver's pause early. A wake-up during a step is kept, so the step after it runs at
    /// once: none is lost.
    final class WakeUp: Sendable {
        private struct State {
            var pending = false
            var sleeper: Task<Bool, Never>?
        }
        private let state = Mutex(State())

        func wake() {
            state.withLock { state in
                state.pending = true
                state.sleeper?.cancel()
            }
        }

        /// Waits `duration`, less if woken (or already woken since the last pause), or until cancelled.
        /// - Returns: whether the pause ended early.
        @discardableResult
        func pause(upTo duration: Duration) async -> Bool {
            let sleeper = Task { (try? await Task.sleep(for: duration)) == nil }  // nil: cancelled, that is woken
            let woken: Bool = state.withLock { state in
                if !state.pending { state.sleeper = sleeper }
                return state.pending
            }
            if woken { sleeper.cancel() }
            let early = await withTaskCancellationHandler { await sleeper.value } onCancel: { sleeper.cancel() }
            state.withLock { $0 = State() }
            return early
        }
    }
}
