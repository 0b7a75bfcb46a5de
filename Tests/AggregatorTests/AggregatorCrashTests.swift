import AggregatorCore
import AggregatorTestSupport
import Foundation
import Ledger
import Protocols
import Security
import Subprocesses
import Testing
import TestSupport
import Transport

/// The `tessera-aggregator serve` process killed with SIGKILL at random moments while sites upload
/// (issue #8): what a site holds a receipt for must be on disk and in the ledger after every restart.
@Suite("Aggregator killed at random moments", .serialized)
struct AggregatorCrashTests {
    static let sites = (1...6).map { "site-\($0)" }
    static let rounds = 3

    @Test("kill -9 of the aggregator at random moments while six sites upload three rounds: every receipt matches an accepted update on disk and in the ledger, one per site and round, and the ledger verifies")
    func killedWhileSitesUpload() async throws {
        try await onOwnThread { try Self.run() }
    }

    static func run() throws {
        let harness = try AggregatorHarness(sites: sites)
        for site in sites { try harness.aggregator.enrol(certificateFile: harness.certificateFile(site)) }
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign([
            ("rounds = 3", "rounds = \(rounds)"), ("quorum = 2 ", "quorum = \(sites.count) "),
            ("encoding = \"bf16\"", "encoding = \"fp32\""),
        ]))
        harness.port = try freeLoopbackPort()
        let configurationFile = harness.directory.appendingPathComponent("aggregator.toml")
        try Data(harness.configurationTOML.replacingOccurrences(of: "port = 0", with: "port = \(harness.port)").utf8).write(to: configurationFile)
        let receipts = harness.directory.appendingPathComponent("receipts")
        try FileManager.default.createDirectory(at: receipts, withIntermediateDirectories: true)

        var server = try startServer(configurationFile: configurationFile, log: harness.directory.appendingPathComponent("serve-0.log"))
        defer { server.killAbruptly() }
        try server.waitUntilHealthy(harness.client(sites[0]))

        // A second `serve` on the same state stops at once, naming the first one's process.
        let second = try startServer(configurationFile: configurationFile, log: harness.directory.appendingPathComponent("serve-second.log"))
        try waitUntil("the second aggregator to stop", seconds: 30) { !second.isRunning }
        #expect(second.exitStatus != 0)
        #expect(second.tail(5).contains("another tessera-aggregator serve (process \(server.processIdentifier)) runs on the state directory"),
                "\(second.tail(5))")

        // Each site: for each round, wait for it to open, build an update from its global adapter,
        // and send the same bytes until a receipt comes back, whatever the server does meanwhile.
        let group = DispatchGroup()
        let failures = Failures()
        for (index, site) in sites.enumerated() {
            DispatchQueue.global().async(group: group) {
                do {
                    for round in 1...rounds {
                        try waitUntil("round \(round) to open for \(site)") {
                            guard let current = try harness.aggregator.currentRound() else { return false }
                            return current.id == round && (current.state == .open || current.state == .collecting)
                        }
                        let update = try harness.update(site: site, samples: index + 1, shift: Float(index + 1) * 1e-3, round: round)
                        var body: [UInt8]?
                        try waitUntil("a receipt for \(site) in round \(round)", poll: 0.05) {
                            do {
                                body = try harness.client(site).upload(file: update.file, to: "/v1/rounds/\(round)/updates",
                                                                       headers: update.metadata.httpHeaderFields).body
                                return true
                            } catch let error as TransportError {
                                // Refused connections and 5xx are the crash at work; a 4xx is a wrong answer.
                                if case let .httpStatus(_, status, _, _) = error, status < 500 { throw error }
                                return false
                            }
                        }
                        let receipt = try WireJSON.decode(Receipt.self, from: Data(body ?? []))
                        try WireJSON.encode(receipt).write(to: receipts.appendingPathComponent("\(site)-round-\(round).json"))
                    }
                } catch {
                    failures.record("\(site): \(error)")
                }
            }
        }

        // Kill the server at scattered moments while the sites work, at most three times a round
        // (fixed pauses, so a failure replays the same schedule), restarting it each time.
        let pauses = [120, 450, 60, 300, 200, 40, 380, 150, 260, 90]
        var killedInRounds: [Int] = []
        var pause = 0
        while group.wait(timeout: .now() + .milliseconds(pauses[pause % pauses.count])) == .timedOut {
            pause += 1
            let round = try harness.aggregator.currentRound()?.id ?? 0
            guard killedInRounds.filter({ $0 == round }).count < 3 else { continue }
            server.killAbruptly()
            killedInRounds.append(round)
            server = try startServer(configurationFile: configurationFile,
                                     log: harness.directory.appendingPathComponent("serve-\(killedInRounds.count).log"))
            try server.waitUntilHealthy(harness.client(sites[0]))
        }
        #expect(group.wait(timeout: .now() + 180) == .success, "the sites did not finish")
        #expect(failures.messages.isEmpty, "\(failures.messages)")
        print("aggregator killed \(killedInRounds.count) times while \(sites.count) sites uploaded \(rounds) rounds, in rounds \(killedInRounds)")
        #expect(Set(killedInRounds).count >= 2, "the kills all fell into one round: \(killedInRounds)")

        // What the sites hold against what the aggregator kept.
        try waitUntil("round \(rounds) to be published") { try harness.aggregator.round(rounds).state == .published }
        let accepted = try harness.aggregator.ledger.entries(after: 0, limit: 100_000).filter { $0.kind == .updateAccepted }
        #expect(accepted.count == sites.count * rounds, "\(accepted.count) accepted updates")
        for round in 1...rounds {
            #expect(try harness.aggregator.round(round).state == .published)
            for site in sites {
                #expect(accepted.filter { $0.round == round && $0.site == site }.count == 1, "round \(round) \(site)")
                let receipt = try WireJSON.decode(Receipt.self, from: Data(contentsOf: receipts.appendingPathComponent("\(site)-round-\(round).json")))
                // The stored container decodes to the receipted digest (decode checks it).
                _ = try DeltaContainer.decode(try harness.aggregator.blobs.read(receipt.digest), source: "\(site) round \(round)",
                                              expecting: .init(maximumDecompressedBytes: 1 << 30, digest: receipt.digest))
                let kept = try harness.aggregator.updates(round: round)
                #expect(kept.contains { $0.site == site && $0.digest == receipt.digest.hex }, "round \(round) \(site): update record")
            }
        }
        let summary = try AuditVerifier(authority: harness.authority.certificate)
            .verify(ledgerAt: Aggregator.databaseURL(in: harness.configuration.stateDirectory), receiptsIn: receipts)
        #expect(summary.receiptCount == sites.count * rounds)
    }

}

struct CrashTestFailure: Error, CustomStringConvertible {
    var description: String
}

/// Errors from the site threads, collected under a lock.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func record(_ message: String) { lock.withLock { stored.append(message) } }
    var messages: [String] { lock.withLock { stored } }
}

/// `tessera-aggregator serve --config FILE` as a child process, its output in `log`.
func startServer(configurationFile: URL, log: URL) throws -> BackgroundProcess {
    try BackgroundProcess(name: "aggregator", executable: builtProductsDirectory.appendingPathComponent("tessera-aggregator"),
                          arguments: ["serve", "--config", configurationFile.path], log: log)
}

extension BackgroundProcess {
    /// Waits until `/healthz` answers through `client`.
    func waitUntilHealthy(_ client: CurlClient) throws {
        try waitUntil("the restarted aggregator to answer", seconds: 30, poll: 0.02) {
            guard isRunning else { throw CrashTestFailure(description: "the aggregator exited with status \(exitStatus): \(tail(5))") }
            return (try? client.get("/healthz")) != nil
        }
    }
}
