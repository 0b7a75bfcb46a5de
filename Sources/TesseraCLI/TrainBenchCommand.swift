import ArgumentParser
import Datasets
import Foundation
import Model
import PlanBinding
import Protocols
import Reporting
import SiteAgent
import Tensor
import Training

/// `tessera bench train` (issue #9): what AR fine-tuning adds to a base model on MedSynth, with
/// one site's labelled data in full and with a tenth of it (the data-scarce regime the alignment
/// objectives are meant for), the same number of steps each, over seeds.
struct TrainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "AR fine-tuning on 10% and 100% of one site's labelled data against the base model: accuracy, retrieval, step time.",
        discussion: """
            MedSynth (seed 1, three sites, heterogeneity high) at the preset's image size; the preset's base model from \
            the cache (built by the recipe when missing, as `tessera demo` does) or --base. Per seed: the site's labelled \
            examples (--examples) in full, and those of a tenth of its images (chosen by the seed), each trained from round 0's \
            adapter with the demo campaign's plan for the same steps, as one run (cosine learning rate over the \
            whole run, as `tessera train`). Scores (mean ± sd over the seeds): closed \
            accuracy and open recall on the global test set, where the other sites' modalities and scanners count, \
            and on site 1's own held-out test set (--site-test-items), drawn from the distribution it trains on; image→report recall@1 \
            on the site's reports; the majority baselines, seconds per step and tokens per second.
            """
    )

    @Option(help: "Model preset: tiny, demo, small.") var preset: ModelPreset = .small
    @Option(help: "Seeds.") var seeds = 3
    @Option(help: "Optimizer steps of each fine-tuning (400 of 64: about 100 passes over a tenth of site 1's examples, 11 over all).")
    var steps = 400
    @Option(help: "Examples per step.") var batchSize = 64
    @Option(help: "Peak learning rate (the demo campaign's by default).") var learningRate = CampaignDefinition.ExampleSettings().resolvedLearningRate
    @Option(help: "Items of site 1's own test set (MedSynth's default is 200, about 100 closed: ±5 points per run).") var siteTestItems = 1000
    @Option(help: "Labelled examples trained on: vqa (the demo campaign's), conversations or all.") var examples = LabelledExamples.vqa
    @Option(help: ArgumentHelp("The base model (default: the preset's recipe, built once and cached).", valueName: "DIR")) var base: String?
    @Option(help: "Threads (data-parallel shards per batch).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: ArgumentHelp("Where base models are cached (as `tessera demo` does).", valueName: "DIR"))
    var cache = (NSHomeDirectory() as NSString).appendingPathComponent(".cache/tessera")

    /// One model's scores.
    struct Scores {
        /// On the global test set.
        var closed: Double, open: Double, closedMajority: Double
        /// On site 1's test set.
        var siteClosed: Double, siteOpen: Double, siteClosedMajority: Double
        var recallAt1: Double
        var secondsPerStep: Double?, tokensPerSecond: Double?
    }

    func validate() throws {
        guard seeds >= 1, steps >= 1, batchSize >= 1, siteTestItems >= 1, threads >= 1 else {
            throw ValidationError("--seeds, --steps, --batch-size, --site-test-items and --threads must be ≥ 1")
        }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be a positive number") }
    }

    func run() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }  // try?: a temporary directory
        let imageSize = preset.configuration.vision.imageSize
        var options = MedSynthOptions()
        options.seed = 1
        options.imageSize = imageSize
        options.siteTestItems = siteTestItems
        options.threads = threads
        _ = try MedSynthWriter.write(options, to: work.path)
        let base = try base.map { URL(fileURLWithPath: $0) }
            ?? ModelPretrainCommand.cached(preset: preset, data: work, cache: URL(fileURLWithPath: cache), seed: 1)

        var settings = CampaignDefinition.ExampleSettings()
        settings.steps = steps
        settings.batchSize = batchSize
        settings.learningRate = learningRate
        settings.examples = examples
        let plan = try CampaignDefinition(toml: CampaignDefinition.exampleTOML(settings), source: "bench")
            .plan(for: try BaseModelDescription(modelDirectory: base))
        let evaluator = try DemoEvaluator(baseDirectory: base, testFile: work.appendingPathComponent("test/vqa.json"), plan: plan)
        let site = work.appendingPathComponent("sites/site-1")
        let siteEvaluator = try DemoEvaluator(baseDirectory: base, testFile: site.appendingPathComponent("test/vqa.json"), plan: plan)
        let reports = site.appendingPathComponent("reports/reports.jsonl").path
        let labelled = try SiteData(.init(labelled: site.appendingPathComponent("labelled"), reports: nil, unlabelled: nil,
                                          test: site.appendingPathComponent("test"), evaluationItems: 0))
            .trainingExamples(imageSize: imageSize, kinds: try plan.labelledExamples()).examples
        func scores(_ model: LlavaModel) throws -> Scores {
            let global = try evaluator.score(model), local = try siteEvaluator.score(model)
            let retrieval = try RetrievalEvaluator().evaluate(model: model, tokenizer: evaluator.tokenizer, reportsFile: reports).recall
            return Scores(closed: global.closedAccuracy, open: global.openRecall, closedMajority: global.closedMajority,
                          siteClosed: local.closedAccuracy, siteOpen: local.openRecall, siteClosedMajority: local.closedMajority,
                          recallAt1: retrieval.imageToText[1] ?? 0)
        }
        let baseScores = try scores(try LlavaModel.load(from: base))
        let initial = try plan.initialGlobalAdapter(baseDirectory: base)

        var runs: [String: [Scores]] = [:]
        for seed in 1...UInt64(seeds) {
            for (name, share) in [("AR on 10% of site 1", 0.1), ("AR on 100% of site 1", 1.0)] {
                let subset = Self.imageShare(labelled, share: share, seed: seed)
                var seconds = 0.0, tokens = 0.0
                let model = try FederationAccuracyBench.fineTune(base: base, tokenizer: evaluator.tokenizer, plan: plan, initial: initial,
                                                                 examples: subset, steps: steps, site: "site-1", seed: seed,
                                                                 threads: threads) { record in
                    seconds += record.seconds
                    tokens += record.tokensPerSecond * record.seconds
                }
                var result = try scores(model)
                result.secondsPerStep = seconds / Double(steps)
                result.tokensPerSecond = seconds > 0 ? tokens / seconds : 0
                runs[name, default: []].append(result)
                print(String(format: "   seed %d, %@ (%d examples): global closed %.1f%%, open %.1f%%; site 1 closed %.1f%%, open %.1f%%; R@1 %.1f%%; %.3f s/step",
                             seed, name, subset.count, result.closed * 100, result.open * 100, result.siteClosed * 100, result.siteOpen * 100,
                             result.recallAt1 * 100, result.secondsPerStep ?? 0))
            }
        }
        print(Self.table(base: baseScores, runs: runs, preset: preset, examples: examples, seeds: seeds, steps: steps).rendered(as: .text))
    }

    /// The examples of a share of the images (all questions of a chosen image stay together),
    /// the images drawn by `seed`.
    static func imageShare(_ examples: [TrainingExample], share: Double, seed: UInt64) -> [TrainingExample] {
        guard share < 1 else { return examples }
        var images: [[Float]] = []
        var index: [[Float]: Int] = [:]
        for example in examples { if let pixels = example.pixels, index[pixels] == nil { index[pixels] = images.count; images.append(pixels) } }
        var generator = SeededGenerator(seed: seed)
        let order = Array(images.indices).shuffled(using: &generator)
        let chosen = Set(order.prefix(max(1, Int((Double(images.count) * share).rounded()))))
        return examples.filter { $0.pixels.flatMap { index[$0] }.map(chosen.contains) ?? false }
    }

    static func table(base: Scores, runs: [String: [Scores]], preset: ModelPreset, examples: LabelledExamples, seeds: Int, steps: Int) -> ResultsTable {
        let measures: [(String, KeyPath<Scores, Double>)] = [("closed %", \.closed), ("open %", \.open), ("site 1 closed %", \.siteClosed),
                                                            ("site 1 open %", \.siteOpen), ("R@1 %", \.recallAt1)]
        var table = ResultsTable(title: "AR fine-tuning on MedSynth (\(preset.rawValue), \(examples.rawValue) examples, \(steps) steps, \(seeds) seeds; global test set, site 1's test set and reports)",
                                 columns: ["model"] + measures.flatMap { [$0.0, "\($0.0.dropLast(2)) ± sd"] } + ["s/step", "tokens/s"])
        func meanAndDeviation(_ values: [Double]) -> (Double, Double) {
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.count > 1 ? values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1) : 0
            return (mean * 100, variance.squareRoot() * 100)
        }
        table.append([.text("majority answer"), .number(base.closedMajority * 100, decimals: 1), .missing, .missing, .missing,
                      .number(base.siteClosedMajority * 100, decimals: 1)] + Array(repeating: .missing, count: 7))
        table.append([.text("base model")] + measures.flatMap { [.number(base[keyPath: $0.1] * 100, decimals: 1), .missing] } + [.missing, .missing])
        for name in ["AR on 10% of site 1", "AR on 100% of site 1"] {
            guard let scores = runs[name] else { continue }
            let cells: [ResultsTable.Cell] = measures.flatMap { measure -> [ResultsTable.Cell] in
                let (mean, deviation) = meanAndDeviation(scores.map { $0[keyPath: measure.1] })
                return [.number(mean, decimals: 1), scores.count > 1 ? .number(deviation, decimals: 1) : .missing]
            }
            table.append([.text(name)] + cells + [.number(scores.compactMap(\.secondsPerStep).reduce(0, +) / Double(scores.count), decimals: 3),
                                                  .integer(Int(scores.compactMap(\.tokensPerSecond).reduce(0, +) / Double(scores.count)))])
        }
        table.notes.append("targets (issue #9): base ≥ majority + 10 points closed; AR@100% ≥ AR@10% + 5 points closed")
        return table
    }
}

extension LabelledExamples: ExpressibleByArgument {}
