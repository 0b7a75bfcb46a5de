import AggregatorCore
import Foundation
import Logging
import Protocols
import Reporting
import Security
import SiteAgent
import Subprocesses

/// The federated part of the demo: the aggregator and one agent per site as processes on
/// loopback, the campaign run to its end, then everything stopped.
struct DemoFederation {
    let consortium: DemoConsortium
    let executables: DemoExecutables
    let base: URL

    /// One published or failed round.
    struct Round {
        let id: Int
        let state: RoundStatus.State
        let updates: [UpdateRecord]
        let resultDigest: SHA256.Digest?
        let rawBytes: Int
    }

    /// What the campaign produced.
    struct Result {
        let consortium: DemoConsortium
        let rounds: [Round]
        let plan: TrainingPlan
        let initialAdapter: SHA256.Digest
        let aggregator: Aggregator

        /// The decoded global adapter published under `digest`.
        func adapter(_ digest: SHA256.Digest) throws -> [NamedTensor] {
            try DeltaContainer.decode(try aggregator.blobs.read(digest), source: digest.hex,
                                      expecting: .init(maximumDecompressedBytes: 1 << 31, digest: digest)).container.tensors
        }

        /// A line per round: sites, accepted updates, bytes on the wire and their ratio to raw fp32, accuracy.
        func roundTable(scores: [Int: DemoEvaluator.Score]) -> ResultsTable {
            var table = ResultsTable(title: "rounds", columns: ["round", "state", "sites", "updates", "bytes on the wire", "÷ raw fp32",
                                                                "closed acc", "open recall"])
            for round in rounds {
                let bytes = round.updates.reduce(0) { $0 + $1.bytes }
                let score = scores[round.id]
                table.append([.integer(round.id), .text(round.state.rawValue), .integer(consortium.sites.count), .integer(round.updates.count),
                              .integer(bytes), round.updates.isEmpty ? .missing : .number(Double(bytes) / Double(round.rawBytes * round.updates.count), decimals: 3),
                              score.map { .number($0.closedAccuracy * 100, decimals: 1) } ?? .missing,
                              score.map { .number($0.openRecall * 100, decimals: 1) } ?? .missing])
            }
            return table
        }

        /// `tessera audit verify` on the ledger with every site's receipts, and the HTML report.
        func audit(executables: DemoExecutables) throws -> (passed: Bool, summary: String, report: URL) {
            // As an auditor collects them: one subdirectory per site.
            let receipts = consortium.work.appendingPathComponent("receipts")
            try? FileManager.default.removeItem(at: receipts)  // try?: absent on the first audit
            try FileManager.default.createDirectory(at: receipts, withIntermediateDirectories: true)
            for site in consortium.sites {
                let directory = consortium.siteDirectory(site).appendingPathComponent("state/receipts")
                if FileManager.default.fileExists(atPath: directory.path) {
                    try FileManager.default.copyItem(at: directory, to: receipts.appendingPathComponent(site))
                }
            }
            let ledger = Aggregator.databaseURL(in: consortium.stateDirectory).path
            let verify = try ChildProcess.run(executables.tessera.path, ["audit", "verify", "--ledger", ledger, "--ca", consortium.caFile.path,
                                                                         "--receipts", receipts.path], showsErrors: true)
            let report = consortium.work.appendingPathComponent("audit-report.html")
            let html = try ChildProcess.run(executables.tessera.path, ["audit", "report", "--ledger", ledger, "--format", "html"])
            try Data(html.output.utf8).write(to: report)
            return (verify.status == 0, "tessera audit verify: " + verify.output.trimmingCharacters(in: .whitespacesAndNewlines), report)
        }
    }

    func run(rounds: Int) throws -> Result {
        let configuration = consortium.aggregatorConfiguration.path
        for site in consortium.sites {
            let enrol = try ChildProcess.run(executables.aggregator.path, ["sites", "enrol", "--config", configuration, "--cert", consortium.siteCertificate(site).path], showsErrors: true)
            guard enrol.status == 0 else { throw DemoFailure("enrolling \(site) failed") }
        }
        let server = try BackgroundProcess(name: "aggregator", executable: executables.aggregator, arguments: ["serve", "--config", configuration],
                                           log: consortium.work.appendingPathComponent("aggregator.log"))
        defer { server.stop() }
        guard let url = server.waitForLine(startingWith: "listening on ", seconds: 30) else {
            throw DemoFailure("the aggregator did not start:\n\(server.tail())")
        }
        let start = try ChildProcess.run(executables.aggregator.path, ["campaign", "start", "--config", configuration, "--base", base.path,
                                                                       "--plan", consortium.campaignFile.path], showsErrors: true)
        guard start.status == 0 else { throw DemoFailure("the campaign did not start") }
        print("   aggregator on \(url); \(start.output.trimmingCharacters(in: .whitespacesAndNewlines))")

        var agents: [BackgroundProcess] = []
        defer { agents.forEach { $0.stop() } }
        for site in consortium.sites {
            try writeSiteConfiguration(site, aggregatorURL: url)
            agents.append(try BackgroundProcess(
                name: site, executable: executables.site, arguments: ["run", "--config", consortium.siteConfiguration(site).path],
                log: consortium.siteDirectory(site).appendingPathComponent("agent.log"), environment: ["OPENBLAS_NUM_THREADS": "1"]))
        }

        var logger = Logger(label: "tessera.demo")
        logger.logLevel = .error
        let aggregator = try Aggregator(configuration: try AggregatorConfiguration(contentsOf: consortium.aggregatorConfiguration), logger: logger)
        var reported: Set<Int> = []
        while true {
            guard server.isRunning else { throw DemoFailure("the aggregator stopped:\n\(server.tail())") }
            if let agent = agents.first(where: { !$0.isRunning }) { throw DemoFailure("\(agent.name)'s agent stopped:\n\(agent.tail())") }
            let all = try aggregator.rounds()
            for round in all.reversed() where round.globalDigest != nil && !round.state.acceptsUpdates && round.state != .aggregating && !reported.contains(round.id) {
                reported.insert(round.id)
                let updates = try aggregator.updates(round: round.id)
                print("   round \(round.id): \(round.state.rawValue), \(updates.count)/\(consortium.sites.count) updates, \(updates.reduce(0) { $0 + $1.bytes }) bytes")
            }
            if let newest = all.first, try aggregator.campaign(of: newest).finishedAt != nil { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        try waitForReceipts(aggregator: aggregator)
        let all = try aggregator.rounds().reversed()
        guard let initial = all.first(where: { $0.globalDigest == nil }), let initialDigest = initial.resultDigest,
              let campaign = try? aggregator.campaign(of: initial) else { throw DemoFailure("the campaign has no initial round") }
        let plan = try campaign.decodedPlan()
        let raw = plan.tensors.upload.reduce(0) { $0 + $1.elementCount * 4 }
        let result = try all.filter { $0.globalDigest != nil }.map { round in
            Round(id: round.id, state: round.state, updates: try aggregator.updates(round: round.id),
                  resultDigest: try round.resultDigest.map { try SHA256.Digest(hex: $0) }, rawBytes: raw)
        }
        return Result(consortium: consortium, rounds: result, plan: plan, initialAdapter: try SHA256.Digest(hex: initialDigest), aggregator: aggregator)
    }

    /// Waits (up to 60 s) until every site holds a receipt for each of its accepted updates: the
    /// last round publishes as its last update is accepted, a moment before that site has
    /// verified and stored the receipt the aggregator sent.
    func waitForReceipts(aggregator: Aggregator) throws {
        let end = Date().addingTimeInterval(60)
        while true {
            var missing: [String] = []
            for round in try aggregator.rounds() {
                for update in try aggregator.updates(round: round.id) {
                    let receipt = consortium.siteDirectory(update.site).appendingPathComponent("state/receipts/round-\(round.id).json")
                    if !FileManager.default.fileExists(atPath: receipt.path) { missing.append("\(update.site) round \(round.id)") }
                }
            }
            if missing.isEmpty { return }
            guard Date() < end else { throw DemoFailure("no receipt stored for \(missing.joined(separator: ", "))") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// The hospital's configuration file: the bundle's template with the demo's base model, data
    /// and one training thread.
    func writeSiteConfiguration(_ site: String, aggregatorURL: String) throws {
        let data = consortium.siteData(site)
        let toml = SiteConfiguration.template(aggregatorURL: aggregatorURL.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1"))
            .replacingOccurrences(of: "threads = 2 ", with: "threads = 1 ")
            .replacingOccurrences(of: "# base = \"/srv/tessera/base-model\"", with: "base = \"\(base.path)\"")
            .replacingOccurrences(of: "labelled = \"data/labelled\"", with: "labelled = \"\(data.appendingPathComponent("labelled").path)\"")
            .replacingOccurrences(of: "test = \"data/test\"", with: "test = \"\(data.appendingPathComponent("test").path)\"")
            .replacingOccurrences(of: "# no_proxy = \"localhost,127.0.0.1\"", with: "no_proxy = \"*\"")
        try Data(toml.utf8).write(to: consortium.siteConfiguration(site))
    }
}
