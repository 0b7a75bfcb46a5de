import AggregatorCore
import Foundation
import Logging
import PlanBinding
import Protocols
import Security
import Subprocesses
import Testing
import TestSupport
@testable import TesseraCLI

/// The whole federation as processes on loopback with the `tiny` preset (issue #10): the real
/// `tessera`, `tessera-aggregator` and `tessera-site` binaries over mutual TLS.
@Suite("Federation end to end", .serialized)
struct FederationEndToEndTests {

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("tessera demo --preset tiny: two sites, two rounds, every round published, the ledger verifies")
    func demo() async throws {
        try await onOwnThread { try Self.demoRun() }
    }

    /// `tessera demo` on the tiny preset with two sites and `rounds` rounds, caching its base model in `work`.
    static func tinyDemoArguments(rounds: Int, work: URL) -> [String] {
        ["demo", "--preset", "tiny", "--base-step-scale", "0.05", "--sites", "2", "--rounds", "\(rounds)", "--steps", "3", "--batch-size", "4",
         "--images-per-site", "40", "--test-items", "40", "--cache", work.appendingPathComponent("cache").path]
    }

    static func demoRun() throws {
        let work = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }  // best effort: a temporary directory
        let run = try ChildProcess.run(builtProductsDirectory.appendingPathComponent("tessera").path,
                                       tinyDemoArguments(rounds: 2, work: work) + ["--minimum-gain=-100", "--keep", work.appendingPathComponent("demo").path],
                                       showsErrors: true)
        #expect(run.status == 0, "\(run.output.suffix(3000))")
        #expect(run.output.contains("ledger /") && run.output.contains(": verified"))
        #expect(run.output.contains("receipts     4 checked"))
        let rounds = run.output.split(separator: "\n").filter { $0.hasPrefix("   round ") && $0.contains(": published, 2/2 updates") }
        #expect(rounds.count == 2, "\(run.output.suffix(3000))")
        #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent("demo/audit-report.html").path))
    }

    @Test("Ctrl-C (SIGINT) during the rounds stops the demo's aggregator and site agents with it, and removes its work directory")
    func interruptedDemoStopsItsProcesses() async throws {
        try await onOwnThread { try Self.interruptedDemoRun() }
    }

    static func interruptedDemoRun() throws {
        let work = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }  // best effort: a temporary directory
        let demo = try BackgroundProcess(name: "demo", executable: builtProductsDirectory.appendingPathComponent("tessera"),
                                         arguments: tinyDemoArguments(rounds: 50, work: work), log: work.appendingPathComponent("demo.log"))
        // Should the handler fail, its children (groups of their own, 50 rounds) must not run on
        // beside the other suites.
        var started: [pid_t] = []
        defer {
            demo.killAbruptly()
            for pid in started { kill(-pid, SIGKILL) }
        }
        let directory = try #require(demo.waitForLine(startingWith: "working in ", seconds: 60)?.components(separatedBy: " (").first)
        // The aggregator and both site agents, children of the demo.
        func children() -> [pid_t] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []  // try?: /proc is always there on Linux
            return entries.compactMap { pid_t($0) }.filter { pid in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),  // try?: it may have exited
                      let close = stat.lastIndex(of: ")") else { return false }
                return stat[stat.index(close, offsetBy: 2)...].split(separator: " ").dropFirst().first == "\(demo.processIdentifier)"
            }
        }
        try waitUntil("the aggregator and two site agents to run", seconds: 120) {
            guard demo.isRunning else { throw DemoFailure("the demo exited: \(demo.tail())") }
            return children().count >= 3 && demo.output().contains("aggregator on https://")
        }
        started = children()
        kill(demo.processIdentifier, SIGINT)
        demo.waitUntilExit()
        #expect(demo.exitStatus == 128 + SIGINT, "\(demo.tail())")
        for pid in started { #expect(processExits(pid, within: 10), "process \(pid) still runs") }
        #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) is left")
    }

    @Test("kill -9 of a site and of the aggregator mid-round: both rounds finish, one accepted update per site and round, receipts verify; a site behind an HTTP CONNECT proxy works through it; a revoked site is refused at the handshake")
    func killedMidRound() async throws {
        let proxy = try await ConnectProxy.start()
        try await onOwnThread { try Self.killedMidRoundRun(proxy: proxy) }
        try await proxy.stop()
    }

    /// site-1 hands its rounds to `tessera-site train-job` as an external trainer, so the kill
    /// leaves that trainer running for the restarted agent to stop; site-2 reaches the aggregator
    /// only through `proxy`, set in its configuration file as hospital IT would set it
    /// (`[proxy] https_proxy`).
    static func killedMidRoundRun(proxy: ConnectProxy) throws {
        let work = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }  // best effort: a temporary directory
        let sites = ["site-1", "site-2"]
        let campaign = CampaignDefinitionText.tiny(rounds: 2, steps: 24, quorum: 2)
        let consortium = try DemoConsortium.create(in: work, sites: sites, campaign: campaign)
        let port = try freeLoopbackPort()
        let configuration = consortium.aggregatorConfiguration
        try Data(try String(contentsOf: configuration, encoding: .utf8).replacingOccurrences(of: "port = 0", with: "port = \(port)").utf8)
            .write(to: configuration)
        let tessera = builtProductsDirectory.appendingPathComponent("tessera").path
        let executables = try DemoExecutables()
        func run(_ executable: URL, _ arguments: [String]) throws {
            let result = try ChildProcess.run(executable.path, arguments, showsErrors: true)
            guard result.status == 0 else { throw DemoFailure("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) failed") }
        }
        try run(URL(fileURLWithPath: tessera), ["data", "synth", "--out", consortium.data.path, "--sites", "2", "--images-per-site", "40",
                                                "--image-size", "16", "--test-items", "20", "--site-test-items", "10", "--public-images", "60"])
        let base = work.appendingPathComponent("base")
        try run(URL(fileURLWithPath: tessera), ["model", "pretrain", "--preset", "tiny", "--data", consortium.data.path, "--out", base.path,
                                                "--step-scale", "0.05"])
        for site in sites { try run(executables.aggregator, ["sites", "enrol", "--config", configuration.path, "--cert", consortium.siteCertificate(site).path]) }

        func startAggregator() throws -> BackgroundProcess {
            let server = try BackgroundProcess(name: "aggregator", executable: executables.aggregator, arguments: ["serve", "--config", configuration.path],
                                               log: work.appendingPathComponent("aggregator-\(UUID().uuidString.prefix(8)).log"))
            guard server.waitForLine(startingWith: "listening on ", seconds: 30) != nil else { throw DemoFailure("no aggregator: \(server.tail())") }
            return server
        }
        var server = try startAggregator()
        defer { server.stop() }
        try run(executables.aggregator, ["campaign", "start", "--config", configuration.path, "--base", base.path, "--plan", consortium.campaignFile.path])
        let federation = DemoFederation(consortium: consortium, executables: executables, base: base)
        func startSite(_ site: String) throws -> BackgroundProcess {
            try BackgroundProcess(name: site, executable: executables.site, arguments: ["run", "--config", consortium.siteConfiguration(site).path],
                                  log: consortium.siteDirectory(site).appendingPathComponent("agent-\(UUID().uuidString.prefix(8)).log"),
                                  environment: ["OPENBLAS_NUM_THREADS": "1"])
        }
        var agents: [String: BackgroundProcess] = [:]
        defer { agents.values.forEach { $0.stop() } }
        for site in sites {
            try federation.writeSiteConfiguration(site, aggregatorURL: "https://127.0.0.1:\(port)")
            if site == "site-1" {
                let file = consortium.siteConfiguration(site)
                let toml = try String(contentsOf: file, encoding: .utf8)
                    .replacingOccurrences(of: #"# command = ["/opt/tessera/train-round"]"#, with: #"command = ["\#(executables.site.path)", "train-job"]"#)
                try Data(toml.utf8).write(to: file)
            }
            if site == "site-2" {
                let file = consortium.siteConfiguration(site)
                let toml = try String(contentsOf: file, encoding: .utf8)
                    .replacingOccurrences(of: "# https_proxy = \"http://proxy.hospital.example:3128\"", with: "https_proxy = \"http://127.0.0.1:\(proxy.port)\"")
                    .replacingOccurrences(of: "no_proxy = \"*\"", with: "no_proxy = \"\"")
                try Data(toml.utf8).write(to: file)
            }
            agents[site] = try startSite(site)
        }

        var logger = Logger(label: "tessera.e2e")
        logger.logLevel = .error
        let state = try Aggregator(configuration: try AggregatorConfiguration(contentsOf: configuration), logger: logger)
        func waitFor(_ what: String, seconds: Double = 180, _ condition: () throws -> Bool) throws {
            do { try waitUntil(what, seconds: seconds, condition) } catch let error as TimedOut { throw DemoFailure("\(error); aggregator: \(server.tail(5))") }
        }
        // Kill site-1 while it trains round 1 (its round directory exists, no receipt yet), restart it.
        try waitFor("site-1 to start round 1") {
            FileManager.default.fileExists(atPath: consortium.siteDirectory("site-1").appendingPathComponent("state/rounds/1").path)
        }
        Thread.sleep(forTimeInterval: 0.3)
        agents["site-1"]?.killAbruptly()
        agents["site-1"] = try startSite("site-1")
        // Kill the aggregator once round 1 holds one update but not both, restart it on the same port.
        try waitFor("a first update in round 1") { try state.updates(round: 1).count >= 1 }
        server.killAbruptly()
        server = try startAggregator()

        try waitFor("the campaign to finish", seconds: 300) { try state.rounds().first.map { try state.campaign(of: $0).finishedAt != nil } ?? false }
        let entries = try state.ledger.entries(after: 0, limit: 10_000)
        for round in [1, 2] {
            #expect(try state.round(round).state == .published)
            for site in sites {
                let accepted = entries.filter { $0.kind == .updateAccepted && $0.round == round && $0.site == site }
                #expect(accepted.count == 1, "round \(round) \(site): \(accepted.count) accepted updates")
            }
        }
        // The plan refuses a second, different update from a site (allow_replacement = false), so
        // one accepted update per site and round alone would not show that none was sent: a
        // refused upload leaves an update-rejected entry, and there must be none.
        let rejected = entries.filter { $0.kind == .updateRejected }
        #expect(rejected.isEmpty, "\(rejected.map { "round \($0.round ?? -1) \($0.site ?? "-")" })")
        try federation.waitForReceipts(aggregator: state)
        let result = DemoFederation.Result(consortium: consortium, rounds: [], plan: try state.campaign(of: try state.round(1)).decodedPlan(),
                                           initialAdapter: try SHA256.Digest(hex: try state.round(0).resultDigest ?? ""), aggregator: state)
        let audit = try result.audit(executables: executables)
        #expect(audit.passed, "\(audit.summary)")
        #expect(audit.summary.contains("receipts     4 checked"), "\(audit.summary)")
        // site-1's rounds were trained by the external trainer: its progress lines are in its log.
        for round in [1, 2] {
            let log = consortium.siteDirectory("site-1").appendingPathComponent("state/rounds/\(round)/external/trainer.log")
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(text.contains(#""step":24"#), "round \(round): \(log.path) holds no last step")
        }
        // site-2 reached the aggregator through the proxy, which tunnelled nothing else.
        let tunnels = proxy.tunnelledTargets
        #expect(!tunnels.isEmpty && tunnels.allSatisfy { $0 == "127.0.0.1:\(port)" }, "\(tunnels)")

        // Revoke site-2 with the operator's command; its agent is refused at the TLS handshake.
        agents["site-2"]?.stop()
        try run(executables.aggregator, ["sites", "revoke", "--config", configuration.path, "--site", "site-2", "--reason", "test"])
        let refused = try startSite("site-2")
        agents["site-2"] = refused
        try waitFor("site-2's agent to report the refused handshake", seconds: 30) { refused.output().contains("may be revoked") }
        #expect(!refused.output().contains("HTTP 403"), "\(refused.tail())")
    }
}

/// Campaign files for the `tiny` model's end-to-end runs.
enum CampaignDefinitionText {
    static func tiny(rounds: Int, steps: Int, quorum: Int) -> String {
        var settings = CampaignDefinition.ExampleSettings()
        settings.rounds = rounds
        settings.steps = steps
        settings.batchSize = 4
        settings.warmupSteps = 1
        settings.quorum = quorum
        return CampaignDefinition.exampleTOML(settings)
    }
}
