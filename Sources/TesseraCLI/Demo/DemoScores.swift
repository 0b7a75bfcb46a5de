import Foundation
import Model
import PlanBinding
import Protocols
import Reporting
import SiteAgent
import Training

/// The demo's scores on the global test set: the base model, each round's global adapter, each
/// site trained alone, and a model trained on the pooled data with as many steps as all sites
/// together.
struct DemoScores {
    var base: DemoEvaluator.Score
    var rounds: [Int: DemoEvaluator.Score]
    var federated: DemoEvaluator.Score
    var localOnly: [(site: String, score: DemoEvaluator.Score)]
    var centralized: DemoEvaluator.Score

    static func measure(evaluator: DemoEvaluator, federation: DemoFederation.Result, consortium: DemoConsortium, plan: TrainingPlan,
                        rounds: Int, sites: [String]) throws -> DemoScores {
        let base = try evaluator.score(adapter: nil)
        var scores: [Int: DemoEvaluator.Score] = [:]
        for round in federation.rounds {
            guard let digest = round.resultDigest else { continue }
            scores[round.id] = try evaluator.score(adapter: try federation.adapter(digest))
            print(String(format: "   round %d: closed %.1f%%, open recall %.1f%%", round.id,
                         scores[round.id]!.closedAccuracy * 100, scores[round.id]!.openRecall * 100))
        }
        guard let last = federation.rounds.last(where: { $0.resultDigest != nil }), let federated = scores[last.id] else {
            throw DemoFailure("no round was published")
        }
        let initial = try federation.adapter(federation.initialAdapter)
        let imageSize = try LlavaModel.load(from: evaluator.baseDirectory).configuration.vision.imageSize
        var pooled: [TrainingExample] = []
        var localOnly: [(String, DemoEvaluator.Score)] = []
        for site in sites {
            let data = consortium.siteData(site)
            let examples = try SiteData(.init(labelled: data.appendingPathComponent("labelled"), reports: nil, unlabelled: nil,
                                              test: data.appendingPathComponent("test"), evaluationItems: 0))
                .trainingExamples(imageSize: imageSize, kinds: try plan.labelledExamples())
            pooled += examples
            let score = try train(evaluator: evaluator, plan: plan, initial: initial, examples: examples, steps: rounds * plan.schedule.steps, site: site)
            print(String(format: "   %@ alone: closed %.1f%%", site, score.closedAccuracy * 100))
            localOnly.append((site, score))
        }
        let centralized = try train(evaluator: evaluator, plan: plan, initial: initial, examples: pooled,
                                    steps: sites.count * rounds * plan.schedule.steps, site: "centralized")
        print(String(format: "   centralized: closed %.1f%%", centralized.closedAccuracy * 100))
        return DemoScores(base: base, rounds: scores, federated: federated, localOnly: localOnly, centralized: centralized)
    }

    /// Trains from round 0's adapter with the plan's settings for `steps` steps, then scores.
    static func train(evaluator: DemoEvaluator, plan: TrainingPlan, initial: [NamedTensor], examples: [TrainingExample],
                      steps: Int, site: String) throws -> DemoEvaluator.Score {
        let model = try LlavaModel.load(from: evaluator.baseDirectory)
        try model.applyGlobalAdapter(initial, plan: plan)
        var configuration = try plan.trainerConfiguration(round: 1, site: site, threads: 2, checkpointInterval: 0)
        configuration.steps = steps
        configuration.warmupSteps = min(steps, plan.schedule.warmupSteps * steps / max(1, plan.schedule.steps))
        let trainer = try LocalTrainer(model: model, tokenizer: evaluator.tokenizer, configuration: configuration, examples: examples)
        try trainer.train()
        return try evaluator.score(model)
    }

    var table: ResultsTable {
        var table = ResultsTable(title: "global test set", columns: ["model", "closed acc %", "± s.e.", "open recall %"])
        func row(_ name: String, _ score: DemoEvaluator.Score) {
            table.append([.text(name), .number(score.closedAccuracy * 100, decimals: 1), .number(score.closedStandardError * 100, decimals: 1),
                          .number(score.openRecall * 100, decimals: 1)])
        }
        table.append([.text("majority answer"), .number(base.closedMajority * 100, decimals: 1), .missing, .missing])
        row("base model", base)
        for (site, score) in localOnly { row("\(site) alone", score) }
        row("federated", federated)
        row("centralized", centralized)
        return table
    }
}
