import AggregatorCore
import ArgumentParser
import Datasets
import Foundation
import Logging
import Model
import PlanBinding
import Protocols
import Reporting
import Security
import Subprocesses
import Training

/// `tessera demo`: a consortium of hospitals on this machine, end to end (issue #10).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a whole federation on loopback: CA, MedSynth hospitals, base model, aggregator, site agents, rounds, baselines, audit.",
        discussion: """
            With no options: three non-IID hospitals (heterogeneity high), the `demo` base model (built once and \
            cached), five fedavg rounds of 80 local steps over mutual TLS with each site agent a separate process (one BLAS thread \
            each), then the global test set scored for the base model, each site trained alone, the federated \
            model and a centralized model trained on the pooled data, and the ledger verified. Exits non-zero if \
            any part fails or the federated model does not beat the base model by 3 points of closed accuracy \
            (--minimum-gain).
            """
    )

    @Option(help: "Model preset: tiny, demo, small.") var preset: ModelPreset = .demo
    @Option(help: "Multiply the base model recipe's steps by this factor (a quick, weaker base).") var baseStepScale = 1.0
    @Option(help: "Closed-accuracy points the federated model must gain over the base model.") var minimumGain = 3.0
    @Option(help: "Hospitals.") var sites = 3
    @Option(help: "Federated rounds.") var rounds = 5
    @Option(help: "Aggregation strategy: fedavg, ffa, svd-merge, median, trimmed-mean.") var strategy = "fedavg"
    @Option(help: "Local optimizer steps per round at each site.") var steps = 80
    @Option(help: "Examples per local step.") var batchSize = 64
    @Option(help: "Local learning-rate schedule: cosine (over each round's steps) or constant.") var learningRateSchedule = CampaignDefinition.ExampleSettings().learningRateSchedule
    @Option(help: "Images per hospital (MedSynth).") var imagesPerSite = 600
    @Option(help: "Items of the global test set.") var testItems = 1000
    @Option(help: "Seed of the data, the base model and the campaign.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Keep everything (state, ledger, logs, HTML report) in this directory (new or empty).", valueName: "DIR")) var keep: String?
    @Option(help: ArgumentHelp("Where the base model is cached between runs.", valueName: "DIR"))
    var cache = (NSHomeDirectory() as NSString).appendingPathComponent(".cache/tessera")

    func validate() throws {
        guard (1...10).contains(sites) else { throw ValidationError("--sites must be 1…10") }
        guard rounds >= 1, steps >= 1 else { throw ValidationError("--rounds and --steps must be ≥ 1") }
        guard TrainingPlan.LearningRateSchedule(rawValue: learningRateSchedule) != nil else {
            throw ValidationError("--learning-rate-schedule must be one of \(TrainingPlan.LearningRateSchedule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard TrainingPlan.Strategy(rawValue: strategy) != nil else {
            throw ValidationError("--strategy must be one of \(TrainingPlan.Strategy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        // A second demo in the same directory would meet the first one's CA, ledger and state.
        if let keep, let contents = try? FileManager.default.contentsOfDirectory(atPath: keep), !contents.isEmpty {
            throw ValidationError("--keep \(keep) is not empty; give a new or empty directory")
        }
    }

    func run() throws {
        // Interrupted, whether the run then failed (its processes stopped under it) or ended: the
        // handler ends the process by the signal when it is done.
        defer { while BackgroundProcess.isInterrupted { Thread.sleep(forTimeInterval: 1) } }
        try runDemo()
    }

    private func runDemo() throws {
        let work = URL(fileURLWithPath: keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("tessera-demo-\(UUID().uuidString)").path)
        if keep == nil { print("working in \(work.path) (removed at the end; --keep DIR keeps it)") }
        defer { if keep == nil { try? FileManager.default.removeItem(at: work) } }  // try?: a temporary directory
        // Ctrl-C stops the aggregator, the site agents and the trainers too, and removes the work
        // directory as the end of the run would. This thread may meanwhile still read the ledger in
        // it, and SQLite re-creates its -wal and -shm files, so a removal can meet a directory
        // that is no longer empty and stop: it is tried again until the directory is gone.
        BackgroundProcess.stopAllOnInterrupt { [keep] in
            guard keep == nil else { return }
            for _ in 0..<40 where FileManager.default.fileExists(atPath: work.path) {
                try? FileManager.default.removeItem(at: work)  // try?: checked by the loop
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let siteIDs = (1...sites).map { "site-\($0)" }
        let executables = try DemoExecutables()
        var phases = DemoPhases()
        // The budgets were set on 2-core machines whose sgemm peak is about 200 GFLOP/s; the base
        // model, the rounds and the baselines are compute-bound and take longer on a slower one.
        let peak = TensorBenchCommand.sgemmPeakEstimateGFLOPs()
        phases.notes.append(String(format: "budgets: 5 minutes on 2 cores with an sgemm peak of about 200 GFLOP/s; this machine's: %.0f GFLOP/s "
                                           + "(the base model, rounds and baselines scale with it)", peak))

        let consortium = try phases.run("set-up and data", budget: 2) {
            let consortium = try DemoConsortium.create(in: work, sites: siteIDs, campaign: campaignTOML())
            var options = MedSynthOptions()
            options.seed = seed
            options.sites = sites
            options.heterogeneity = MedSynthOptions.highHeterogeneity
            options.imagesPerSite = imagesPerSite
            options.imageSize = preset.configuration.vision.imageSize
            options.testItems = testItems
            options.threads = 2
            _ = try MedSynthWriter.write(options, to: consortium.data.path)
            return consortium
        }
        let base = try phases.run("base model", budget: 26) { try baseModel(data: consortium.data) }
        let plan = try CampaignDefinition(contentsOf: consortium.campaignFile).plan(for: try BaseModelDescription(modelDirectory: base))

        let federation = try phases.run("federated rounds", budget: 99) {
            try DemoFederation(consortium: consortium, executables: executables, base: base).run(rounds: rounds)
        }
        let evaluator = try DemoEvaluator(baseDirectory: base, testFile: consortium.data.appendingPathComponent("test/vqa.json"), plan: plan)
        let scores = try phases.run("evaluation and baselines", budget: 172) {
            try DemoScores.measure(evaluator: evaluator, federation: federation, consortium: consortium, plan: plan,
                                   rounds: rounds, sites: siteIDs, executables: executables)
        }
        let audit = try phases.run("audit", budget: 1) { try federation.audit(executables: executables) }

        print("")
        print(federation.roundTable(scores: scores.rounds).rendered(as: .text))
        print(scores.table.rendered(as: .text))
        print(phases.table.rendered(as: .text))
        print(audit.summary)
        if keep != nil {
            print("state: \(consortium.stateDirectory.path)\nledger: \(Aggregator.databaseURL(in: consortium.stateDirectory).path)\naudit report: \(audit.report.path)")
        }
        let gain = (scores.federated.closedAccuracy - scores.base.closedAccuracy) * 100
        let gainError = scores.federated.gainStandardError(over: scores.base) * 100
        guard audit.passed else { throw DemoFailure("the ledger did not verify") }
        guard gain >= minimumGain else {
            throw DemoFailure(String(format: "the federated model gained %.1f points of closed accuracy over the base model (± %.1f, paired "
                                     + "standard error); the demo requires %.1f", gain, gainError, minimumGain))
        }
        print(String(format: "federated − base: %+.1f points closed accuracy (± %.1f, the paired standard error over the same items)",
                     gain, gainError))
    }

    /// The campaign: the example plan with the demo's rounds, steps and strategy.
    func campaignTOML() -> String {
        var settings = CampaignDefinition.ExampleSettings()
        settings.rounds = rounds
        settings.steps = steps
        settings.batchSize = batchSize
        settings.learningRateSchedule = learningRateSchedule
        settings.warmupSteps = min(settings.warmupSteps, steps)
        settings.campaignSeed = seed
        settings.quorum = sites
        settings.strategy = strategy
        return CampaignDefinition.exampleTOML(settings)
    }

    /// The base model for this data, built once per settings and cached.
    func baseModel(data: URL) throws -> URL {
        try ModelPretrainCommand.cached(preset: preset, data: data, cache: URL(fileURLWithPath: cache), seed: seed, stepScale: baseStepScale)
    }
}

/// A failed demo: printed, exit status 1.
struct DemoFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The executables beside this one.
struct DemoExecutables {
    let tessera: URL
    let aggregator: URL
    let site: URL

    init() throws {
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let directory = (own.path.contains("/") ? own : URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()).deletingLastPathComponent()
        tessera = directory.appendingPathComponent("tessera")
        aggregator = directory.appendingPathComponent("tessera-aggregator")
        site = directory.appendingPathComponent("tessera-site")
        for url in [aggregator, site] where !FileManager.default.isExecutableFile(atPath: url.path) {
            throw DemoFailure("\(url.path) is missing: build all products (`make demo` does) before `tessera demo`")
        }
    }
}
