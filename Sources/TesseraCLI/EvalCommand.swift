import ArgumentParser
import Datasets
import Foundation
import Model
import Reporting
import Tensor
import Training

/// `tessera eval`: VQA accuracy of a model (and adapter) on a VQA JSON file, and image↔text
/// retrieval recall on image–report pairs.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Answer a VQA set with greedy decoding and print closed/open metrics per answer type, modality and question type; "
            + "with --retrieval, image↔text retrieval recall@1/5/10 on image–report pairs."
    )

    @Argument(help: "Model directory (config.json, model.safetensors, tokenizer.json).")
    var model: String

    @Option(help: ArgumentHelp("VQA JSON file (VQA-RAD, SLAKE or MedSynth layout); image paths relative to it (or its imgs/, images/ or "
                               + "'VQA_RAD Image Folder/'), or to --images."))
    var vqa: String?

    @Option(help: ArgumentHelp("Directory the VQA file's image paths are relative to.", valueName: "DIR"))
    var images: String?

    @Option(help: ArgumentHelp("Reports JSON-lines file (image, report): retrieval recall between the pooled image features "
                               + "and the pooled report states; image paths relative to it.", valueName: "FILE"))
    var retrieval: String?

    @Option(help: "Retrieval: score only the first N pairs (recall depends on the pool size).")
    var retrievalPairs: Int?

    @Option(help: "PEFT adapter directory to apply.")
    var adapter: String?

    @Option(help: "Evaluate only N items, spread evenly over the file (test files are often sorted by answer type or modality).")
    var limit: Int?

    @Option(help: "Tokens generated per answer at most (MedSynth's answers need at most 7; sentence-style answers more).")
    var maxNewTokens = VQAEvaluator().maximumNewTokens

    @Option(help: "Questions per generation batch.")
    var batchSize = 32

    @Option(help: "Threads: this many generation batches at a time, one per thread (the batches do not depend on it).")
    var threads = 2

    @Option(help: "Write each question, reference and prediction as JSON lines to this file.")
    var predictions: String?

    @Option(help: "Output format: text, or json (an array of the tables: VQA, then retrieval).")
    var format: ResultsTable.Format = .text

    func validate() throws {
        guard vqa != nil || retrieval != nil else { throw ValidationError("give --vqa FILE, --retrieval FILE or both") }
        guard (retrievalPairs ?? 2) >= 2 else { throw ValidationError("--retrieval-pairs must be at least 2") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard (limit ?? 0) >= 0 else { throw ValidationError("--limit must not be negative") }
        guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: model)
        let llava = try LlavaModel.load(from: directory)
        if let adapter { try llava.loadAdapter(from: URL(fileURLWithPath: adapter)) }
        let tokenizer = try BPETokenizer(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        // Text tables print as each part finishes (a failing retrieval part keeps the VQA table);
        // JSON is one document, printed at the end.
        var tables: [ResultsTable] = []
        func add(_ table: ResultsTable) {
            if format == .text { print(table.rendered(as: .text)) }
            tables.append(table)
        }
        if let vqa { add(try answerQuestions(vqa, model: llava, tokenizer: tokenizer)) }
        if let retrieval { add(try scoreRetrieval(retrieval, model: llava, tokenizer: tokenizer)) }
        if format == .json {
            print("[" + tables.map { $0.rendered(as: .json).trimmingCharacters(in: .newlines) }.joined(separator: ",") + "]")
        }
    }

    private func answerQuestions(_ vqa: String, model llava: LlavaModel, tokenizer: BPETokenizer) throws -> ResultsTable {
        var evaluator = VQAEvaluator()
        evaluator.batchSize = batchSize
        evaluator.threads = threads
        evaluator.maximumNewTokens = maxNewTokens
        let start = Date()
        let dataset = try VQADataset(contentsOf: vqa, imageDirectory: images)
        let result = try evaluator.evaluate(model: llava, tokenizer: tokenizer, dataset: dataset, limit: limit)
        if let predictions {
            let lines = zip(result.items, result.predictions).map { item, answer in
                "{\"id\":\(JSONString.quoted(item.id)),\"question\":\(JSONString.quoted(item.question)),"
                    + "\"answer\":\(JSONString.quoted(item.answer)),\"prediction\":\(JSONString.quoted(answer))}"
            }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: predictions))
        }
        var table = result.evaluation.table(title: "VQA \(vqa)")
        if let note = dataset.summary.note(file: vqa) { table.notes.insert(note, at: 0) }
        table.notes.append(String(format: "%.1f s", Date().timeIntervalSince(start)))
        return table
    }

    private func scoreRetrieval(_ file: String, model: LlavaModel, tokenizer: BPETokenizer) throws -> ResultsTable {
        let start = Date()
        let (pairs, reports, recall) = try RetrievalEvaluator().evaluate(model: model, tokenizer: tokenizer, reportsFile: file, limit: retrievalPairs)
        var table = ResultsTable(title: "retrieval \(file) (\(pairs) pairs, \(reports) distinct reports)", columns: ["direction", "R@1 %", "R@5 %", "R@10 %"])
        for (direction, shares) in [("image → report", recall.imageToText), ("report → image", recall.textToImage)] {
            table.append([.text(direction)] + [1, 5, 10].map { .number((shares[$0] ?? 0) * 100, decimals: 1) })
        }
        table.notes.append(String(format: "chance R@1 about %.1f%% (image → report) and %.1f%% (report → image); images with the same report "
                                         + "share it as one candidate; %.1f s",
                                  100 / Double(reports), 100 / Double(max(1, pairs - pairs / reports + 1)), Date().timeIntervalSince(start)))
        return table
    }
}
