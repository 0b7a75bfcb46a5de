import Datasets
import Federation
import Foundation
import Model
import PlanBinding
import Protocols
import Reporting
import SiteAgent
import Training

/// The accuracy half of `tessera bench federation`: for each site count and seed, MedSynth at
/// heterogeneity high; the base model; each strategy's rounds simulated with the same trainer and
/// aggregation library the site agent and aggregator run (no network: that is the overhead half);
/// training on the pooled data and each site alone with the same total steps.
struct FederationAccuracyBench {
    let cache: URL
    let sites: String
    /// A strategy to simulate, at the baselines' learning rate unless it names its own.
    struct StrategyRun {
        var strategy: String
        var learningRate: Double?
    }

    let strategies: [StrategyRun]
    let seeds: Range<UInt64>
    let rounds: Int
    let steps: Int
    /// Of the baselines and of each strategy without its own; nil: the campaign's default (the strategy's).
    let learningRate: Double?

    func run() throws -> ResultsTable {
        var table = ResultsTable(title: "federated vs centralized vs local-only (closed accuracy on the global test set, points over the base)",
                                 columns: ["sites", "seed", "model", "closed acc %", "gain", "÷ central gain", "rounds to 95%"])
        for siteCount in sites.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
            for seed in seeds {
                let work = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-accuracy-\(UUID().uuidString)")
                defer { try? FileManager.default.removeItem(at: work) }  // try?: a temporary directory
                var options = MedSynthOptions()
                options.seed = 1
                options.sites = siteCount
                options.heterogeneity = MedSynthOptions.highHeterogeneity
                options.imageSize = ModelPreset.demo.configuration.vision.imageSize
                options.threads = 2
                _ = try MedSynthWriter.write(options, to: work.path)
                let base = try ModelPretrainCommand.cached(preset: .demo, data: work, cache: cache, seed: 1)
                var settings = CampaignDefinition.ExampleSettings()
                settings.rounds = rounds
                settings.steps = steps
                settings.learningRate = learningRate
                settings.campaignSeed = seed
                let description = try BaseModelDescription(modelDirectory: base)
                let evaluator = try DemoEvaluator(baseDirectory: base, testFile: work.appendingPathComponent("test/vqa.json"),
                                                  plan: try CampaignDefinition(toml: CampaignDefinition.exampleTOML(settings), source: "bench")
                                                    .plan(for: description))
                let examples = try (1...siteCount).map { site in
                    try SiteData(.init(labelled: work.appendingPathComponent("sites/site-\(site)/labelled"), reports: nil, unlabelled: nil,
                                       test: work.appendingPathComponent("sites/site-\(site)/test"), evaluationItems: 0))
                        .trainingExamples(imageSize: options.imageSize, kinds: try evaluator.plan.labelledExamples()).examples
                }
                let baseScore = try evaluator.score(adapter: nil).closedAccuracy
                let initial = try evaluator.plan.initialGlobalAdapter(baseDirectory: base)
                let central = try Self.train(evaluator: evaluator, plan: evaluator.plan, initial: initial, examples: examples.flatMap { $0 },
                                                   steps: siteCount * rounds * steps, site: "centralized").closedAccuracy
                let centralGain = central - baseScore
                func row(_ name: String, _ accuracy: Double, roundsTo95: Int? = nil) {
                    // A seed takes 10–20 minutes on two cores: each result is shown as it comes, the table at the end.
                    let gain = String(format: "%+.1f", (accuracy - baseScore) * 100)
                    FileHandle.standardError.write(Data("   \(siteCount) sites, seed \(seed): \(name) \(String(format: "%.1f", accuracy * 100))% (\(gain))\n".utf8))
                    table.append([.integer(siteCount), .integer(Int(seed)), .text(name), .number(accuracy * 100, decimals: 1),
                                  .number((accuracy - baseScore) * 100, decimals: 1),
                                  centralGain > 0 ? .number((accuracy - baseScore) / centralGain, decimals: 2) : .missing,
                                  roundsTo95.map { .integer($0) } ?? .missing])
                }
                row("base", baseScore)
                row("centralized", central)
                var local: [Double] = []
                for (index, siteExamples) in examples.enumerated() {
                    local.append(try Self.train(evaluator: evaluator, plan: evaluator.plan, initial: initial, examples: siteExamples,
                                                      steps: rounds * steps, site: "site-\(index + 1)").closedAccuracy)
                }
                row("local-only (mean of sites)", local.reduce(0, +) / Double(local.count))
                for run in strategies {
                    settings.strategy = run.strategy
                    settings.learningRate = run.learningRate ?? learningRate
                    // Named with its learning rate where it is not the baselines' (ffa's own, or given).
                    let name = settings.resolvedLearningRate == evaluator.plan.schedule.learningRate ? run.strategy
                        : "\(run.strategy) (lr \(settings.resolvedLearningRate))"
                    let plan = try CampaignDefinition(toml: CampaignDefinition.exampleTOML(settings), source: "bench").plan(for: description)
                    let curve = try simulate(plan: plan, evaluator: evaluator, initial: initial, examples: examples)
                    let final = curve.last ?? baseScore
                    // 95% of the gain over the base; with no gain there is nothing to reach.
                    let target = baseScore + 0.95 * (final - baseScore)
                    row("federated \(name)", final,
                        roundsTo95: final > baseScore ? (curve.firstIndex { $0 >= target } ?? curve.count - 1) + 1 : nil)
                }
            }
        }
        table.notes.append("targets: centralized − base ≥ 10 points; federated gain ≥ 0.9 × centralized gain; local-only clearly less")
        return table
    }

    /// The global model's closed accuracy after each round of the plan's strategy.
    private func simulate(plan: TrainingPlan, evaluator: DemoEvaluator, initial: [NamedTensor], examples: [[TrainingExample]]) throws -> [Double] {
        var global = initial
        var curve: [Double] = []
        let strategy = try plan.aggregationStrategy()
        let uploadNames = Set(plan.tensors.upload.map(\.name))
        for round in 1...rounds {
            var updates: [SiteUpdate] = []
            for (index, siteExamples) in examples.enumerated() {
                let site = "site-\(index + 1)"
                let model = try LlavaModel.load(from: evaluator.baseDirectory)
                try model.applyGlobalAdapter(global, plan: plan)
                let configuration = try plan.trainerConfiguration(round: round, site: site, threads: Self.threads, checkpointInterval: 0)
                let trainer = try LocalTrainer(model: model, tokenizer: evaluator.tokenizer, configuration: configuration, examples: siteExamples)
                try trainer.startObjectives(from: global)
                try trainer.train()
                // What the site uploads (bf16 on the wire), as the aggregator decodes it.
                let tensors = try trainer.adapterTensors(plan.tensors.upload).filter { uploadNames.contains($0.name) }.map { tensor in
                    NamedTensor(name: tensor.name, shape: tensor.shape,
                                values: plan.wire.encoding == .bf16 ? tensor.values.map(Self.bfloat16) : tensor.values)
                }
                updates.append(try SiteUpdate(site: site, sampleCount: trainer.distinctExamplesSeen, adapter: try Adapter(tensors, owner: site))
                    .completed(from: try Adapter(global)))
            }
            global = try strategy.aggregate(updates, onto: try Adapter(global)).adapter.tensors
            curve.append(try evaluator.score(adapter: global).closedAccuracy)
        }
        return curve
    }

    /// Trains from round 0's adapter with the plan's settings for `steps` steps, then scores.
    static func train(evaluator: DemoEvaluator, plan: TrainingPlan, initial: [NamedTensor], examples: [TrainingExample],
                      steps: Int, site: String) throws -> DemoEvaluator.Score {
        try evaluator.score(try fineTune(base: evaluator.baseDirectory, tokenizer: evaluator.tokenizer, plan: plan, initial: initial,
                                         examples: examples, steps: steps, site: site))
    }

    /// A copy of the base model trained from round 0's adapter with the plan's settings for `steps`
    /// steps, as one run the way `tessera train` does it (the cosine over the whole budget, its
    /// default warm-up of a twentieth); `seed` replaces the seed the plan derives for `site`.
    static func fineTune(base: URL, tokenizer: BPETokenizer, plan: TrainingPlan, initial: [NamedTensor], examples: [TrainingExample],
                         steps: Int, site: String, seed: UInt64? = nil, threads: Int = Self.threads,
                         onStep: (LocalTrainer.StepRecord) -> Void = { _ in }) throws -> LlavaModel {
        let model = try LlavaModel.load(from: base)
        try model.applyGlobalAdapter(initial, plan: plan)
        var configuration = try plan.trainerConfiguration(round: 1, site: site, threads: threads, checkpointInterval: 0)
        configuration.steps = steps
        configuration.schedule = .cosine
        configuration.warmupSteps = TrainerConfiguration.defaultWarmupSteps(forSteps: steps)
        if let seed { configuration.seed = seed }
        try LocalTrainer(model: model, tokenizer: tokenizer, configuration: configuration, examples: examples).train(onStep: onStep)
        return model
    }

    /// One training runs at a time here, on every core.
    static var threads: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// float32 rounded to bfloat16 (nearest even) and back.
    static func bfloat16(_ value: Float) -> Float {
        let bits = value.bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
        return Float(bitPattern: rounded)
    }
}
