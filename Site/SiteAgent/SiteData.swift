import Datasets
import Foundation
import Model
import PlanBinding
import Training

/// The site's data as the agent reads it: training examples from the labelled directory, the
/// held-out VQA file from the test directory (docs/DATA_CARD.md). Nothing read here ever leaves
/// the site.
public struct SiteData: Sendable {
    /// The LLaVA-Med instruct file in the labelled directory.
    public static let instructFile = "llava_instruct.json"
    /// The VQA file in the labelled (optional) and test directories.
    public static let vqaFile = "vqa.json"

    public var directories: SiteConfiguration.DataDirectories

    public init(_ directories: SiteConfiguration.DataDirectories) {
        self.directories = directories
    }

    /// The training examples of a round, as the plan's `ar` option `examples` says
    /// (``LabelledExamples``): the labelled conversations when `llava_instruct.json` is there, then
    /// the labelled VQA questions as one-turn conversations when `vqa.json` is there (a site may
    /// hold either or both); with the loaders' notes on skipped items and unknown fields.
    /// - Throws: `DatasetError` for an unreadable or malformed file or image;
    ///   ``SiteAgentError/noTrainingExamples(directory:kind:)`` when none of the kinds the plan asks for is there.
    public func trainingExamples(imageSize: Int, kinds: LabelledExamples = .all) throws -> ExampleLoader.Loaded {
        let labelled = directories.labelled
        var loaded = ExampleLoader.Loaded()
        if kinds.includesConversations, let instructions = existing(labelled.appendingPathComponent(Self.instructFile)) {
            loaded += try ExampleLoader.instructions(file: instructions, imageSize: imageSize)
        }
        if kinds.includesQuestions, let questions = existing(labelled.appendingPathComponent(Self.vqaFile)) {
            loaded += try ExampleLoader.questions(vqaFile: questions, imageSize: imageSize)
        }
        guard !loaded.examples.isEmpty else { throw SiteAgentError.noTrainingExamples(directory: labelled.path, kind: kinds.rawValue) }
        return loaded
    }

    /// The held-out VQA file.
    public var testFile: URL { directories.test.appendingPathComponent(Self.vqaFile) }

    /// Reads every data file a round uses, as a round would, and checks that each image exists
    /// (without decoding it): what `config check` shows hospital IT before the first round.
    /// - Returns: a line per directory with its counts, then the loaders' notes on skipped items
    ///   and unknown fields.
    /// - Throws: `DatasetError` for the first unreadable or malformed file or missing image.
    public func check() throws -> [String] {
        let labelled = directories.labelled
        let instructions = try existing(labelled.appendingPathComponent(Self.instructFile)).map { try LlavaInstructDataset(contentsOf: $0) }
        let questions = try existing(labelled.appendingPathComponent(Self.vqaFile)).map { try VQADataset(contentsOf: $0) }
        let test = try VQADataset(contentsOf: testFile.path)
        let held = [instructions.map { "\($0.records.count) conversations (\(Self.instructFile))" } ?? "no \(Self.instructFile)",
                    questions.map { "\($0.items.count) questions (\(Self.vqaFile))" } ?? "no \(Self.vqaFile)"]
        let evaluated = Swift.min(test.items.count, directories.evaluationItems)
        // A campaign's plan trains on conversations, VQA questions or both (the `ar` option
        // `examples`); a site holding one kind only sits out the campaigns that train on the other.
        let missing = instructions == nil ? "conversations" : questions == nil ? "vqa" : nil
        let sitsOut = missing.map { "note: rounds whose plan trains on \($0) only (the `ar` option examples = \"\($0)\"\($0 == "vqa" ? ", the campaign template's" : "")) "
            + "find nothing to train on here" }
        let notes = [instructions.flatMap { $0.summary.note(file: $0.file) }, questions.flatMap { $0.summary.note(file: $0.file) },
                     test.summary.note(file: test.file)]
        return ["labelled: " + held.joined(separator: ", "),
                "test: \(test.items.count) questions (\(Self.vqaFile)), \(evaluated) of them (spread over the file) evaluated after each round"]
            + notes.compactMap { $0 } + [sitsOut].compactMap { $0 }
    }

    /// The path of `file` when it exists.
    private func existing(_ file: URL) -> String? {
        FileManager.default.fileExists(atPath: file.path) ? file.path : nil
    }
}

extension SiteData {
    /// The local metrics of one evaluation.
    public struct Evaluation: Sendable {
        public var evaluation: VQAEvaluation
        /// `eval.items`, `eval.closed_accuracy`, `eval.open_recall` (when the split has such items).
        public var metrics: [String: Double] {
            guard let all = evaluation.groups.first(where: { $0.name == "all" }) else { return [:] }
            var metrics = ["eval.items": Double(all.count)]
            if let closed = all.closedAccuracy { metrics["eval.closed_accuracy"] = closed }
            if let open = all.openRecall { metrics["eval.open_recall"] = open }
            return metrics
        }
    }

    /// Answers ``SiteConfiguration/DataDirectories/evaluationItems`` questions (spread over the file) of the
    /// test split with `model` and scores them, `threads` batches at a time.
    /// - Throws: `DatasetError`, `ModelError`.
    public func evaluate(model: LlavaModel, tokenizer: BPETokenizer, threads: Int) throws -> Evaluation {
        var evaluator = VQAEvaluator()
        evaluator.threads = threads
        let result = try evaluator.evaluate(model: model, tokenizer: tokenizer, vqaFile: testFile.path, limit: directories.evaluationItems)
        return Evaluation(evaluation: result.evaluation)
    }
}
