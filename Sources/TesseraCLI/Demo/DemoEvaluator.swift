import Datasets
import Foundation
import Model
import PlanBinding
import Protocols
import Training

/// Scores models on the demo's global test set: the base model, and the base with an adapter.
struct DemoEvaluator {
    /// Closed accuracy with its standard error, open recall.
    struct Score {
        var closedAccuracy: Double
        var closedStandardError: Double
        var openRecall: Double
        var closedMajority: Double
        /// Each closed item's correctness, for the paired standard error of a gain.
        var closedOutcomes: [Bool]

        /// The standard error of `self`'s closed accuracy minus `other`'s, paired by item.
        func gainStandardError(over other: Score) -> Double {
            VQAEvaluation.pairedStandardError(of: closedOutcomes, minus: other.closedOutcomes) ?? .nan
        }
    }

    let baseDirectory: URL
    let testFile: URL
    let plan: TrainingPlan
    let tokenizer: BPETokenizer

    init(baseDirectory: URL, testFile: URL, plan: TrainingPlan) throws {
        self.baseDirectory = baseDirectory
        self.testFile = testFile
        self.plan = plan
        tokenizer = try BPETokenizer(contentsOf: baseDirectory.appendingPathComponent("tokenizer.json"))
    }

    /// The base model with `adapter` (the plan's global tensors) applied, or the base alone.
    func score(adapter: [NamedTensor]?) throws -> Score {
        let model = try LlavaModel.load(from: baseDirectory)
        if let adapter { try model.applyGlobalAdapter(adapter, plan: plan) }
        return try score(model)
    }

    func score(_ model: LlavaModel) throws -> Score {
        var evaluator = VQAEvaluator()
        evaluator.threads = ProcessInfo.processInfo.activeProcessorCount
        let evaluation = try evaluator.evaluate(model: model, tokenizer: tokenizer, vqaFile: testFile.path).evaluation
        let closed = evaluation.groups.first { $0.name == VQAItem.AnswerType.closed.rawValue }
        let open = evaluation.groups.first { $0.name == VQAItem.AnswerType.open.rawValue }
        return Score(closedAccuracy: closed?.closedAccuracy ?? 0, closedStandardError: closed?.closedStandardError ?? 0,
                     openRecall: open?.openRecall ?? 0, closedMajority: closed?.closedMajorityBaseline ?? 0,
                     closedOutcomes: evaluation.closedOutcomes)
    }
}
