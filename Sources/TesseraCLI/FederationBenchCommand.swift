import AggregatorCore
import ArgumentParser
import Datasets
import Federation
import Foundation
import Logging
import Model
import PlanBinding
import Protocols
import Reporting
import Security
import SiteAgent
import Tensor
import Training
import Transport

/// `tessera bench federation`: the aggregator's round overhead with N sites over mutual TLS, and
/// (with `--accuracy`) federated vs centralized vs local-only on MedSynth at heterogeneity high.
struct FederationBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "federation",
        abstract: "Round overhead at the aggregator (quorum reached → next round served) and, with --accuracy, federated vs centralized vs local-only.",
        discussion: """
            Overhead: an in-process aggregator on loopback and N sites uploading `demo`-sized updates at once; \
            the time from the last receipt to a site's long poll returning the next round, beside the aggregation \
            compute itself. Accuracy: on MedSynth (heterogeneity high), each strategy's rounds simulated with the \
            real trainer and aggregation library, against training on the pooled data and each site alone with \
            the same total steps, per seed; gains over the base model in closed accuracy on the global test set.
            """
    )

    @Option(help: "Sites for the overhead measurement.") var sites = 10
    @Option(help: "Rounds: of the overhead measurement, and of each strategy with --accuracy.") var rounds = 5
    @Flag(help: "Also run the accuracy comparison (slow: sites × rounds × steps of training per strategy and seed).") var accuracy = false
    @Option(help: "Accuracy: site counts, comma-separated.") var accuracySites = "3,10"
    @Option(help: "Accuracy: strategies, comma-separated; `ffa@0.004` runs one at its own learning rate.") var strategies = "fedavg,ffa,svd-merge"
    @Option(help: "Accuracy: seeds.") var seeds = 3
    @Option(help: "Accuracy: the first seed (the campaign seed; the data and the base model keep seed 1), to run seeds separately.") var firstSeed: UInt64 = 1
    @Option(help: "Accuracy: local steps per round (the demo's 80 by default).") var steps = 80
    @Option(help: "Accuracy: the peak learning rate of the baselines and of every strategy without its own (default: the campaign's, 0.002; ffa's 0.008).")
    var learningRate: Double?
    @Option(help: ArgumentHelp("Where the demo base model is cached (as `tessera demo` does).", valueName: "DIR"))
    var cache = (NSHomeDirectory() as NSString).appendingPathComponent(".cache/tessera")

    func validate() throws {
        guard sites >= 1, rounds >= 1, seeds >= 1, steps >= 1, firstSeed >= 1 else {
            throw ValidationError("--sites, --rounds, --seeds, --first-seed and --steps must be ≥ 1")
        }
        let siteCounts = accuracySites.split(separator: ",", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard siteCounts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--accuracy-sites must be site counts ≥ 1, comma-separated (such as 3,10), not '\(accuracySites)'")
        }
        _ = try strategyRuns()
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) {
            throw ValidationError("--learning-rate must be positive, not \(learningRate)")
        }
    }

    /// `--strategies` read: each strategy, with the learning rate given after its `@`, if any.
    func strategyRuns() throws -> [FederationAccuracyBench.StrategyRun] {
        try strategies.split(separator: ",").map { entry in
            let parts = entry.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { return .init(strategy: parts[0], learningRate: nil) }
            guard let rate = Double(parts[1]), rate > 0, rate.isFinite else {
                throw ValidationError("--strategies: '\(entry)' needs a positive learning rate after '@', such as ffa@0.004")
            }
            return .init(strategy: parts[0], learningRate: rate)
        }
    }

    func run() throws {
        print(try runBlocking { try await overheadTable() }.rendered(as: .text))
        if accuracy { print(try FederationAccuracyBench(cache: URL(fileURLWithPath: cache), sites: accuracySites, strategies: try strategyRuns(),
                                                        seeds: firstSeed..<(firstSeed + UInt64(seeds)), rounds: rounds, steps: steps,
                                                        learningRate: learningRate).run().rendered(as: .text)) }
    }

    /// N sites upload each round at once; the overhead is last receipt → next round served.
    func overheadTable() async throws -> ResultsTable {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-federation-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }  // try?: a temporary directory
        let siteIDs = (1...sites).map { String(format: "site-%02d", $0) }
        var settings = CampaignDefinition.ExampleSettings()
        settings.rounds = rounds + 1
        settings.quorum = sites
        let bench = try await BenchConsortium.start(in: work, sites: siteIDs, campaign: CampaignDefinition.exampleTOML(settings),
                                                    preset: .demo, label: "tessera.bench.federation")
        defer { bench.server.cancel() }
        let aggregator = bench.aggregator
        let clients = try siteIDs.map(bench.client)

        var overheads: [Double] = []
        var aggregations: [Double] = []
        var uploadBytes = 0
        for _ in 0..<rounds {
            guard let current = try aggregator.currentRound() else { throw ValidationError("no round is open") }
            let round = current
            let status = try aggregator.status(of: round)
            let global = try DeltaContainer.decode(try aggregator.blobs.read(status.globalAdapterDigest), source: "global",
                                                   expecting: .init(maximumDecompressedBytes: 1 << 31)).container.tensors
            let uploads = Set(status.plan.tensors.upload.map(\.name))
            var files: [(URL, UploadMetadata)] = []
            for (index, site) in siteIDs.enumerated() {
                var generator = SeededGenerator(seed: UInt64(round.id * 1000 + index))
                let tensors = global.filter { uploads.contains($0.name) }.map { tensor in
                    NamedTensor(name: tensor.name, shape: tensor.shape, values: tensor.values.map { $0 + Float.random(in: -1e-3...1e-3, using: &generator) })
                }
                let encoded = try DeltaContainer(header: .init(round: round.id, site: site, baseDigest: status.baseDigest, sampleCount: 100 + index,
                                                               encoding: status.plan.wire.encoding), tensors: tensors).encoded()
                let file = work.appendingPathComponent("\(site)-\(round.id).tcz")
                try Data(encoded.bytes).write(to: file)
                uploadBytes = encoded.bytes.count
                files.append((file, UploadMetadata(digest: encoded.digest, baseDigest: status.baseDigest, sampleCount: 100 + index,
                                                   encoding: status.plan.wire.encoding)))
            }
            let sending = files
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, client) in clients.enumerated() {
                    group.addTask {
                        _ = try await client.upload(file: sending[index].0, to: "/v1/rounds/\(round.id)/updates", headers: sending[index].1.httpHeaderFields)
                    }
                }
                try await group.waitForAll()
            }
            let quorum = DispatchTime.now().uptimeNanoseconds
            let next = try await clients[0].get("/v1/rounds/current?after=\(round.id)&wait=30", timeout: 40)
            let served = DispatchTime.now().uptimeNanoseconds
            guard try WireJSON.decode(RoundStatus.self, from: Data(next.body)).id == round.id + 1 else {
                throw ValidationError("round \(round.id + 1) was not served")
            }
            overheads.append(Double(served - quorum) / 1e9)
            let entry = try aggregator.ledger.entries(after: 0, limit: 100_000).last { $0.kind == .roundAggregated && $0.round == round.id }
            if case let .number(seconds)? = entry?.payload["metrics"]?["aggregation_seconds"] { aggregations.append(seconds) }
        }
        overheads.sort()
        aggregations.sort()
        var table = ResultsTable(title: "round overhead, \(sites) sites over mutual TLS (loopback)",
                                 columns: ["measure", "median s", "max s"])
        table.append([.text("quorum reached → next round served"), .number(overheads[overheads.count / 2], decimals: 3),
                      .number(overheads.last ?? 0, decimals: 3)])
        if !aggregations.isEmpty {
            table.append([.text("aggregation compute (baseline)"), .number(aggregations[aggregations.count / 2], decimals: 3),
                          .number(aggregations.last ?? 0, decimals: 3)])
            table.notes.append(String(format: "overhead ÷ aggregation compute: %.1f (median)", overheads[overheads.count / 2] / max(aggregations[aggregations.count / 2], 1e-6)))
        }
        table.notes.append("\(rounds) rounds, updates of \(uploadBytes) bytes (demo preset, bf16); target ≤ 1 s for 10 sites")
        return table
    }
}
