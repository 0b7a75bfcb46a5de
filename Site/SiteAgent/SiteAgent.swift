import Foundation
import Subprocesses
import Logging
import PlanBinding
import Protocols
import Security
import ServiceLifecycle
import Transport

/// The site agent (`tessera-site run`): long-polls the aggregator for rounds and takes part in
/// each that accepts updates, once. Run it in a `ServiceGroup`; a graceful shutdown (SIGTERM,
/// SIGINT) cancels it at the next safe point: between requests, or at a training checkpoint.
///
/// Per round R: base model (local copy checked against the digest, or downloaded), global adapter
/// (downloaded, checked by digest), ``LocalRound`` (checkpoints in `rounds/R/checkpoint`), the
/// update stored in `rounds/R/update.tcz` before the first upload attempt, the privacy guard on
/// those exact bytes, upload with backoff (the same bytes every time), receipt verified and
/// stored. A restart resumes from the checkpoint, or re-sends a stored update; a round with a
/// receipt or a refusal is never touched again (``SiteState``).
public struct SiteAgent: Service {
    /// Waits of the loop.
    public struct Timing: Sendable {
        /// Seconds a long poll is held by the aggregator.
        public var pollWait = 30
        /// Seconds between polls while no campaign has started (scaled by a jitter in [0.5, 1]).
        public var idlePoll = 15.0
        /// Backoff after failed requests or a failed local round.
        public var retry = RetryPolicy(maximumAttempts: Int.max, initialDelay: 1, maximumDelay: 60)

        public init() {}
    }

    /// This site's id: the certificate's subject CN.
    public let site: String
    let configuration: SiteConfiguration
    let connection: any AggregatorConnection
    let state: SiteState
    let verifier: ReceiptVerifier
    let privacyGuard: PrivacyGuard
    let logger: Logger
    let timing: Timing
    /// Whether training shows a progress line on standard error (a terminal) rather than log lines.
    let showsProgressLine: Bool

    /// - Throws: `SecurityError` for an unreadable certificate, ``SiteAgentError/noSiteID(certificate:)``.
    public init(configuration: SiteConfiguration, connection: any AggregatorConnection, logger: Logger,
                timing: Timing = Timing(), showsProgressLine: Bool = false) throws {
        let site = try Self.siteID(certificate: configuration.bundle.certificate)
        self.site = site
        self.configuration = configuration
        self.connection = connection
        self.state = SiteState(directory: configuration.stateDirectory)
        self.verifier = ReceiptVerifier(authority: try X509Certificate(contentsOf: configuration.bundle.certificateAuthority))
        self.privacyGuard = PrivacyGuard(site: site, modulesToSaveAllowed: configuration.modulesToSaveAllowed)
        var logger = logger
        logger[metadataKey: "site.id"] = "\(site)"
        self.logger = logger
        self.timing = timing
        self.showsProgressLine = showsProgressLine
    }

    /// The site id a certificate names: its subject CN.
    /// - Throws: `SecurityError` for an unreadable certificate, ``SiteAgentError/noSiteID(certificate:)``.
    public static func siteID(certificate url: URL) throws -> String {
        guard let site = try X509Certificate(contentsOf: url).commonName, !site.isEmpty else {
            throw SiteAgentError.noSiteID(certificate: url.path)
        }
        return site
    }

    /// Runs until a graceful shutdown.
    /// - Throws: ``SiteAgentError/stateInUse(directory:holder:)`` when another agent runs on the
    ///   state directory.
    public func run() async throws {
        try state.createDirectory(state.directory)
        let lock: DirectoryLock
        do {
            lock = try DirectoryLock(directory: state.directory, name: "agent.lock")
        } catch let .held(directory, holder) {
            throw SiteAgentError.stateInUse(directory: directory, holder: holder)
        } catch let .unopenable(file, reason) {
            throw SiteAgentError.corruptState(file: file, reason: reason)
        }
        defer { withExtendedLifetime(lock) {} }
        logger.info("site agent started", metadata: ["aggregator.url": "\(configuration.bundle.aggregatorURL)",
                                                     "state.directory": "\(state.directory.path)"])
        do {
            try await cancelWhenGracefulShutdown { try await self.pollRounds() }
        } catch is CancellationError {
            logger.info("site agent stopped")
        }
    }

    /// The loop: poll, take part in a round that accepts updates and is not settled, repeat.
    func pollRounds() async throws {
        try state.createDirectory(state.directory)
        var after: Int?
        // Failures in a row: of polls, and of taking part in one round (kept across the polls
        // between attempts, so a round that keeps failing backs off further each time).
        var pollFailures = 0
        var roundFailures = (round: 0, count: 0)
        while true {
            try Task.checkCancellation()
            let status: RoundStatus
            do {
                status = try await connection.currentRound(after: after, wait: after == nil ? nil : timing.pollWait)
                pollFailures = 0
            } catch TransportError.httpStatus(_, 404, .some(ErrorCode.notFound.rawValue), _) {
                logger.info("no campaign has started yet; polling")
                try await Task.sleep(for: .seconds(timing.idlePoll * Double.random(in: 0.5...1)))
                continue
            } catch let error where !(error is CancellationError) {
                pollFailures += 1
                try await backOff(after: error, failures: pollFailures, message: "cannot get the current round")
                continue
            }
            do {
                try state.storeCurrentRound(status)
            } catch {
                logger.warning("cannot record the current round", metadata: ["error": "\(error)"])
            }
            // A round whose upload was accepted but whose receipt was never stored (the agent was
            // killed in between): the same bytes again get the same receipt, even after it closed.
            for pending in try state.unsettledStoredRounds() where pending < status.id || (pending == status.id && !status.state.acceptsUpdates) {
                var earlier = status
                earlier.id = pending
                do {
                    try await participate(in: earlier)
                } catch let error where !(error is CancellationError) {
                    logger.warning("cannot settle an earlier round's stored update", metadata: ["round.id": "\(pending)", "error": "\(error)"])
                }
            }
            if status.state.acceptsUpdates, status.id >= 1, try !state.isSettled(status.id) {
                do {
                    try await participate(in: status)
                    roundFailures = (status.id, 0)
                } catch let error where !(error is CancellationError) {
                    roundFailures = (status.id, roundFailures.round == status.id ? roundFailures.count + 1 : 1)
                    try await backOff(after: error, failures: roundFailures.count, message: "this site could not finish the round; retrying",
                                      metadata: ["round.id": "\(status.id)"])
                    continue
                }
            }
            after = status.id
        }
    }

    /// Takes part in one round, up to a stored receipt or a refusal.
    func participate(in status: RoundStatus) async throws {
        let round = status.id
        let metadata: Logger.Metadata = ["round.id": "\(round)"]
        if try state.storedUpdate(round) == nil {
            logger.info("round open: preparing the update", metadata: metadata.merging(["round.state": "\(status.state.rawValue)"]) { $1 })
            try await buildUpdate(for: status)
        } else {
            logger.info("round resumed: sending the stored update again", metadata: metadata)
        }
        guard let bytes = try state.storedUpdate(round) else {
            throw SiteAgentError.corruptState(file: state.updateFile(round).path, reason: "the stored update disappeared")
        }
        let upload = try privacyGuard.checkUpload(bytes, source: state.updateFile(round).path, plan: status.plan, round: round,
                                                  baseDigest: status.baseDigest)
        let uploadMetadata = metadata.merging(["update.digest": "\(upload.digest.hex)", "update.bytes": "\(bytes.count)"]) { $1 }
        var attempt = 0
        while true {
            attempt += 1
            let receipt: Receipt
            do {
                logger.info("uploading the update", metadata: uploadMetadata.merging(["upload.attempt": "\(attempt)"]) { $1 })
                receipt = try await connection.upload(file: state.updateFile(round), round: round, metadata: upload)
            } catch let error as TransportError where error.isTransient {
                try await backOff(after: error, failures: attempt, message: "upload failed; retrying with the same bytes", metadata: uploadMetadata)
                continue
            } catch let TransportError.httpStatus(_, code, errorCode, message) where (400..<500).contains(code) {
                try state.storeRefusal(.init(round: round, status: code, code: errorCode ?? "http-\(code)", message: message ?? "", time: Date()))
                logger.error("the aggregator refused this site's update; waiting for the next round", metadata: uploadMetadata.merging([
                    "http.status": "\(code)", "error.code": "\(errorCode ?? "")", "error.message": "\(message ?? "")"]) { $1 })
                return
            }
            let certificate = try await withRetries("cannot get the ledger certificate") { try await connection.ledgerCertificate() }
            try verifier.verify(receipt, ledgerCertificate: certificate, round: round, site: site, digest: upload.digest)
            try state.storeReceipt(receipt)
            logger.info("update accepted; receipt verified and stored", metadata: uploadMetadata.merging([
                "ledger.sequence": "\(receipt.sequence)", "receipt.file": "\(state.receiptFile(round).path)"]) { $1 })
            return
        }
    }

    /// Base model, global adapter, local training and evaluation; stores the encoded update.
    func buildUpdate(for status: RoundStatus) async throws {
        let round = status.id
        try privacyGuard.checkUploadNames(status.plan)
        let base = try await baseModel(for: status)
        let global = try await globalAdapter(for: status)
        let progress = TrainingProgress(round: round, steps: status.plan.schedule.steps, logger: logger, showsLine: showsProgressLine)
        let outcome: LocalRound.Outcome
        if let command = configuration.trainerCommand {
            let work = ExternalRound(command: command, plan: status.plan, round: round, baseDirectory: base, baseDigest: status.baseDigest,
                                     data: configuration.data, threads: configuration.threads, privacyGuard: privacyGuard,
                                     directory: state.externalTrainerDirectory(round), checkpointDirectory: state.checkpointDirectory(round))
            logger.info("handing the round to the external trainer", metadata: [
                "round.id": "\(round)", "trainer.command": "\(command.joined(separator: " "))", "trainer.log": "\(work.logFile.path)"])
            outcome = try await BlockingWork.run { isCancelled in
                try work.run(globalAdapter: global, onStep: progress.report, shouldStop: isCancelled)
            }
        } else {
            let work = LocalRound(plan: status.plan, round: round, baseDirectory: base, baseDigest: status.baseDigest,
                                  data: SiteData(configuration.data), threads: configuration.threads, privacyGuard: privacyGuard,
                                  checkpointDirectory: state.checkpointDirectory(round), trainingLog: state.trainingLogFile(round))
            outcome = try await BlockingWork.run { isCancelled in
                try work.run(globalAdapter: global, onStep: progress.report, shouldStop: isCancelled)
            }
        }
        progress.finish()
        for note in outcome.dataNotes { logger.notice("training data: \(note)", metadata: ["round.id": "\(round)"]) }
        // The stored metrics add the sample count, which the container carries in its header.
        try state.storeMetrics(outcome.metrics.merging(["train.samples": Double(outcome.container.header.sampleCount)]) { $1 }, round: round)
        let encoded = try outcome.container.encoded()
        guard encoded.bytes.count <= status.plan.wire.maximumUploadBytes else {
            throw SiteAgentError.updateTooLarge(round: round, bytes: encoded.bytes.count, limit: status.plan.wire.maximumUploadBytes)
        }
        try state.storeUpdate(encoded.bytes, round: round)
        logger.info("update stored", metadata: ["round.id": "\(round)", "update.digest": "\(encoded.digest.hex)",
                                                "update.bytes": "\(encoded.bytes.count)", "update.samples": "\(outcome.container.header.sampleCount)",
                                                "metrics": "\(outcome.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"])
    }

    /// The round's base model directory: the configured copy, checked against the digest, or the
    /// copy downloaded into the state directory (downloaded and checked first when missing).
    func baseModel(for status: RoundStatus) async throws -> URL {
        let expected = status.baseDigest
        if let local = configuration.baseModel {
            let found = try await BlockingWork.run { _ in try BaseModelDirectory(local).digest() }
            guard found == expected else {
                throw PlanBindingError.baseDigestMismatch(directory: local.path, found: found.hex, expected: expected.hex)
            }
            return local
        }
        let target = state.baseDirectory(digest: expected)
        if FileManager.default.fileExists(atPath: target.path) { return target }  // checked before it was moved into place
        let staging = URL(fileURLWithPath: target.path + ".partial")
        try? FileManager.default.removeItem(at: staging)  // a leftover of an interrupted download, if any
        try state.createDirectory(staging)
        logger.info("downloading the base model", metadata: ["base.digest": "\(expected.hex)"])
        for name in BaseModelDirectory.fileNames {
            let found = try await withRetries("cannot download the base model") {
                try await connection.downloadBaseFile(digest: expected, name: name, to: staging.appendingPathComponent(name))
            }
            if !found, name != "preprocessor_config.json" { throw SiteAgentError.baseFileMissing(digest: expected.hex, file: name) }
        }
        let found = try await BlockingWork.run { _ in try BaseModelDirectory(staging).digest() }
        guard found == expected else {
            throw PlanBindingError.baseDigestMismatch(directory: staging.path, found: found.hex, expected: expected.hex)
        }
        do {
            // On the disk before the rename: the directory is trusted from then on without a check.
            for name in try FileManager.default.contentsOfDirectory(atPath: staging.path) {
                try AtomicFile.sync(staging.appendingPathComponent(name))
            }
            try AtomicFile.sync(staging)
            try FileManager.default.moveItem(at: staging, to: target)
            try AtomicFile.sync(target.deletingLastPathComponent())
        } catch {
            throw SiteAgentError.corruptState(file: target.path, reason: "cannot store the downloaded base model: \(error)")
        }
        return target
    }

    /// The round's global adapter, downloaded once into the state directory and decoded against
    /// its digest, the plan's global tensors and the base digest each time it is used.
    func globalAdapter(for status: RoundStatus) async throws -> [NamedTensor] {
        let file = state.globalAdapterFile(digest: status.globalAdapterDigest)
        if !FileManager.default.fileExists(atPath: file.path) {
            try state.createDirectory(file.deletingLastPathComponent())
            logger.info("downloading the global adapter", metadata: ["round.id": "\(status.id)", "adapter.digest": "\(status.globalAdapterDigest.hex)"])
            try await withRetries("cannot download the global adapter") {
                try await connection.downloadGlobalAdapter(digest: status.globalAdapterDigest, to: file)
            }
        }
        let expectation = DeltaContainer.Expectation.globalAdapter(plan: status.plan, baseDigest: status.baseDigest, digest: status.globalAdapterDigest)
        do {
            let bytes = try Data(contentsOf: file)
            return try DeltaContainer.decode(bytes, source: file.path, expecting: expectation).container.tensors
        } catch {
            try? FileManager.default.removeItem(at: file)  // a bad download is fetched again next time
            throw error
        }
    }

    /// `body`, retried with backoff while it fails transiently.
    private func withRetries<Result: Sendable>(_ message: Logger.Message, _ body: () async throws -> Result) async throws -> Result {
        var failures = 0
        while true {
            do {
                return try await body()
            } catch let error as TransportError where error.isTransient {
                failures += 1
                try await backOff(after: error, failures: failures, message: message)
            }
        }
    }

    /// Logs `error` (a warning when transient, an error otherwise) and sleeps the retry policy's
    /// delay after `failures` failures, with jitter.
    private func backOff(after error: any Error, failures: Int, message: Logger.Message, metadata: Logger.Metadata = [:]) async throws {
        let delay = timing.retry.delay(afterAttempt: failures, jitter: Double.random(in: 0...1))
        let details = metadata.merging(["error": "\(error)", "retry.delay_s": "\(String(format: "%.1f", delay))",
                                        "retry.failures": "\(failures)"]) { $1 }
        if (error as? TransportError)?.isTransient == true {
            logger.warning(message, metadata: details)
        } else {
            logger.error(message, metadata: details)
        }
        try await Task.sleep(for: .seconds(delay))
    }
}
