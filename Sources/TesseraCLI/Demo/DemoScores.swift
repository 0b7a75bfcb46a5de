import Foundation
import Model
import PlanBinding
import Protocols
import Reporting
import SiteAgent
import Subprocesses
import Training

/// The demo's scores on the global test set: the base model, each round's global adapter, each
/// site trained alone, and a model trained on the pooled data with as many steps as all sites
/// together. The baselines train as `tessera train` processes from round 0's adapter with the
/// plan's settings, two at a time on one BLAS thread each (faster on two cores than one process
/// with two threads).
struct DemoScores {
    var base: DemoEvaluator.Score
    var rounds: [Int: DemoEvaluator.Score]
    var federated: DemoEvaluator.Score
    var localOnly: [(site: String, score: DemoEvaluator.Score)]
    var centralized: DemoEvaluator.Score

    static func measure(evaluator: DemoEvaluator, federation: DemoFederation.Result, consortium: DemoConsortium, plan: TrainingPlan,
                        rounds: Int, sites: [String], executables: DemoExecutables) throws -> DemoScores {
        let work = consortium.work.appendingPathComponent("baselines")
        let initialAdapter = work.appendingPathComponent("round-0-adapter")
        let initial = try LlavaModel.load(from: evaluator.baseDirectory)
        try initial.applyGlobalAdapter(try federation.adapter(federation.initialAdapter), plan: plan)
        try initial.saveAdapter(to: initialAdapter)

        let kinds = try plan.labelledExamples()
        func dataArguments(_ site: String) -> [String] {
            let labelled = consortium.siteData(site).appendingPathComponent("labelled")
            return (kinds.includesConversations ? ["--data", labelled.appendingPathComponent(SiteData.instructFile).path] : [])
                + (kinds.includesQuestions ? ["--vqa", labelled.appendingPathComponent(SiteData.vqaFile).path] : [])
        }
        func job(_ name: String, data: [String], steps: Int) -> (name: String, arguments: [String]) {
            return (name, ["train", "--model", evaluator.baseDirectory.path, "--adapter", initialAdapter.path,
                           "--out", work.appendingPathComponent(name).path, "--steps", "\(steps)", "--batch-size", "\(plan.schedule.batchSize)",
                           "--learning-rate", "\(plan.schedule.learningRate)",
                           "--seed", "\(plan.randomness.campaignSeed)", "--threads", "1"] + data + (plan.lora.ffa ? ["--ffa"] : []))
        }
        let steps = rounds * plan.schedule.steps
        // The longest first: the pooled run takes one slot while the sites take turns in the other.
        let jobs = [job("centralized", data: sites.flatMap(dataArguments), steps: sites.count * steps)]
            + sites.map { job($0, data: dataArguments($0), steps: steps) }
        try runInPairs(jobs, executable: executables.tessera, logs: work)

        let base = try evaluator.score(adapter: nil)
        var scores: [Int: DemoEvaluator.Score] = [:]
        for round in federation.rounds {
            guard let digest = round.resultDigest else { continue }
            let score = try evaluator.score(adapter: try federation.adapter(digest))
            scores[round.id] = score
            print(String(format: "   round %d: closed %.1f%%, open recall %.1f%%", round.id, score.closedAccuracy * 100, score.openRecall * 100))
        }
        guard let last = federation.rounds.last(where: { $0.resultDigest != nil }), let federated = scores[last.id] else {
            throw DemoFailure("no round was published")
        }
        func trained(_ name: String) throws -> DemoEvaluator.Score {
            let model = try LlavaModel.load(from: evaluator.baseDirectory)
            try model.loadAdapter(from: work.appendingPathComponent(name))
            let score = try evaluator.score(model)
            print(String(format: "   %@: closed %.1f%%", name, score.closedAccuracy * 100))
            return score
        }
        let localOnly = try sites.map { ($0, try trained($0)) }
        return DemoScores(base: base, rounds: scores, federated: federated, localOnly: localOnly, centralized: try trained("centralized"))
    }

    /// Runs `tessera` jobs two at a time; each job's output goes to `logs/NAME.log`.
    static func runInPairs(_ jobs: [(name: String, arguments: [String])], executable: URL, logs: URL) throws {
        var pending = jobs[...]
        var running: [BackgroundProcess] = []
        while !pending.isEmpty || !running.isEmpty {
            while running.count < 2, let next = pending.popFirst() {
                running.append(try BackgroundProcess(name: next.name, executable: executable, arguments: next.arguments,
                                                     log: logs.appendingPathComponent("\(next.name).log"), environment: ["OPENBLAS_NUM_THREADS": "1"]))
            }
            Thread.sleep(forTimeInterval: 0.1)
            // One reading of which have exited, for the check and the removal alike: a job that
            // exits between two readings would be dropped unchecked.
            let exited = running.filter { !$0.isRunning }
            for process in exited {
                guard process.exitStatus == 0 else {
                    for other in running where other.isRunning { other.stop(grace: 5) }
                    throw DemoFailure("baseline \(process.name) failed:\n\(process.tail())")
                }
                print("   \(process.name) trained")
            }
            running.removeAll { process in exited.contains { $0 === process } }
        }
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
