import AggregatorCore
import AggregatorTestSupport
import Foundation
import Ledger
import Logging
import PlanBinding
import Protocols
import Security
@testable import SiteAgent
import Testing
import TestSupport
import Transport

/// The agent against the real aggregator over mutual TLS (``AggregatorHarness``: its CA, server,
/// ledger and intake), with the fixture's base model and data. What a fake could not show: the
/// update the agent builds passes the aggregator's checks, and the receipts it keeps are the
/// aggregator's own.
@Suite("Site agent and the real aggregator", .serialized)
struct SiteAgentAggregatorTests {
    /// A consortium of one site, serving: campaign started on the fixture's base with its plan sizes.
    struct Consortium {
        let harness: AggregatorHarness
        let fixture: SiteFixture
        let configuration: SiteConfiguration

        /// - Parameter rounds: the campaign's rounds (1: the campaign ends when round 1 is published).
        static func start(rounds: Int) async throws -> Consortium {
            let fixture = try SiteFixture()
            let harness = try AggregatorHarness(sites: [SiteFixture.siteID])
            try harness.enrol(SiteFixture.siteID)
            var settings = SiteFixture.campaignSettings
            settings.rounds = rounds
            settings.quorum = 1
            try harness.aggregator.startCampaign(baseDirectory: fixture.baseDirectory, definition: try harness.campaign(settings: settings))
            try await harness.serve()
            let pki = harness.directory.appendingPathComponent("pki")
            let text = SiteFixture.configurationText(baseModel: "base")
                .replacingOccurrences(of: "bundle/site.pem", with: pki.appendingPathComponent("\(SiteFixture.siteID).pem").path)
                .replacingOccurrences(of: "bundle/site-key.pem", with: pki.appendingPathComponent("\(SiteFixture.siteID)-key.pem").path)
                .replacingOccurrences(of: "bundle/ca.pem", with: harness.authority.directory.appendingPathComponent("ca.pem").path)
                .replacingOccurrences(of: "https://aggregator.test:8443", with: "https://127.0.0.1:\(harness.port)")
                + "\n[proxy]\nno_proxy = \"*\"\n"  // loopback, whatever HTTPS_PROXY the machine has
            let file = fixture.directory.appendingPathComponent("site-real.toml")
            try Data(text.utf8).write(to: file)
            return Consortium(harness: harness, fixture: fixture, configuration: try SiteConfiguration(contentsOf: file))
        }

        /// An agent on the real connection, its first `failingUploads` uploads refused as by an outage.
        func agent(failingUploads: Int = 0) throws -> (SiteAgent, OutageConnection) {
            let connection = OutageConnection(real: try CurlAggregatorConnection(configuration: configuration, logger: AggregatorHarness.logger),
                                              failingUploads: failingUploads)
            let agent = try SiteAgent(configuration: configuration, connection: connection,
                                      logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), timing: SiteAgentTests.timing())
            return (agent, connection)
        }

        func currentStatus() throws -> RoundStatus {
            try harness.aggregator.status(of: try #require(try harness.aggregator.currentRound()))
        }

        /// The ledger's `update-received` entries of this site for `round`: one per upload the aggregator
        /// read and checked (a copy of accepted bytes is answered from the acceptance, without one).
        func receivedUploads(round: Int) throws -> Int {
            try harness.aggregator.ledger.entries(after: 0, limit: 10_000)
                .filter { $0.kind == .updateReceived && $0.round == round && $0.site == SiteFixture.siteID }.count
        }

        func remove() { fixture.remove() }
    }

    @Test("a round is trained and its update accepted by the aggregator after an outage; a restart re-sends the stored bytes to the same receipt")
    func roundAndRestart() async throws {
        let consortium = try await Consortium.start(rounds: 3)
        defer { consortium.remove() }
        let status = try consortium.currentStatus()
        #expect(status.id == 1)
        let (agent, connection) = try consortium.agent(failingUploads: 1)
        try await agent.participate(in: status)

        let stored = try #require(try agent.state.storedUpdate(1))
        let accepted = try consortium.harness.aggregator.updates(round: 1)
        let upload = try agent.privacyGuard.checkUpload(stored, source: "stored update", plan: status.plan, round: 1, baseDigest: status.baseDigest)
        #expect(accepted.count == 1 && accepted.first?.digest == upload.digest.hex)
        let received = try consortium.receivedUploads(round: 1)
        #expect(connection.attemptedUploads == 2 && received == 1)  // the refused attempt sent nothing
        let receipt = try #require(try agent.state.receipt(1))
        #expect(receipt.site == SiteFixture.siteID && receipt.round == 1 && receipt.digest.hex == accepted.first?.digest)
        let metrics = try #require(try agent.state.metrics(1))
        #expect(metrics["train.steps"] == 2 && Double(accepted.first?.samples ?? -1) == metrics["train.samples"])

        // Killed after the upload, before the receipt was kept: the restarted agent trains
        // nothing and sends the stored bytes again, which the aggregator answers with the same receipt.
        try FileManager.default.removeItem(at: agent.state.receiptFile(1))
        let (restarted, again) = try consortium.agent()
        try await restarted.participate(in: status)
        #expect(try restarted.state.storedUpdate(1) == stored && restarted.state.receipt(1) == receipt)
        // Answered from the earlier acceptance: no second update, not even a second `update-received`.
        #expect(again.attemptedUploads == 1)
        #expect(try consortium.receivedUploads(round: 1) == 1 && consortium.harness.aggregator.updates(round: 1).count == 1)
        #expect(again.downloads.isEmpty)  // the global adapter was not fetched again
    }

    @Test("a receipt lost to a kill is collected after a restart although the campaign's last round has closed")
    func receiptOfAClosedRound() async throws {
        let consortium = try await Consortium.start(rounds: 1)
        defer { consortium.remove() }
        let (agent, _) = try consortium.agent()
        try await agent.participate(in: try consortium.currentStatus())
        let receipt = try #require(try agent.state.receipt(1))
        #expect(try await eventually { try consortium.harness.aggregator.round(1).state == .published })
        try FileManager.default.removeItem(at: agent.state.receiptFile(1))  // killed before the receipt was kept

        let (restarted, connection) = try consortium.agent()
        let loop = Task { try await restarted.pollRounds() }
        let collected = try await eventually { try restarted.state.receipt(1) != nil }
        loop.cancel()
        _ = await loop.result
        #expect(collected)
        #expect(try restarted.state.receipt(1) == receipt)
        #expect(connection.attemptedUploads == 1 && connection.downloads.isEmpty)
        #expect(try consortium.receivedUploads(round: 1) == 1 && consortium.harness.aggregator.updates(round: 1).count == 1)
    }
}

/// The real connection, with its first `failingUploads` uploads failing as a refused connection
/// does (before a byte is sent); counts upload attempts and records downloads.
final class OutageConnection: AggregatorConnection, @unchecked Sendable {
    private let real: CurlAggregatorConnection
    private let lock = NSLock()
    private var failingUploads: Int
    private var uploadAttempts = 0
    private var downloaded: [String] = []

    init(real: CurlAggregatorConnection, failingUploads: Int) {
        self.real = real
        self.failingUploads = failingUploads
    }

    var attemptedUploads: Int { lock.withLock { uploadAttempts } }
    var downloads: [String] { lock.withLock { downloaded } }

    func currentRound(after: Int?, wait: Int?) async throws -> RoundStatus {
        try await real.currentRound(after: after, wait: wait)
    }

    func downloadGlobalAdapter(digest: SHA256.Digest, to file: URL) async throws {
        lock.withLock { downloaded.append("models/\(digest.hex)") }
        try await real.downloadGlobalAdapter(digest: digest, to: file)
    }

    func downloadBaseFile(digest: SHA256.Digest, name: String, to file: URL) async throws -> Bool {
        lock.withLock { downloaded.append("base/\(digest.hex)/\(name)") }
        return try await real.downloadBaseFile(digest: digest, name: name, to: file)
    }

    func upload(file: URL, round: Int, metadata: UploadMetadata) async throws -> Receipt {
        let refused = lock.withLock {
            uploadAttempts += 1
            guard failingUploads > 0 else { return false }
            failingUploads -= 1
            return true
        }
        if refused { throw TransportError.connectionFailed(url: "/v1/rounds/\(round)/updates", detail: "refused (injected outage)") }
        return try await real.upload(file: file, round: round, metadata: metadata)
    }

    func ledgerCertificate() async throws -> X509Certificate {
        try await real.ledgerCertificate()
    }
}
