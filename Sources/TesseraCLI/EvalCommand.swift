import ArgumentParser
import Datasets
import Foundation
import Model
import Reporting
import Tensor
import Training

/// `tessera eval`: VQA accuracy of a model (and adapter) on a VQA JSON file.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Answer a VQA set with greedy decoding and print closed/open metrics per answer type and modality."
    )

    @Argument(help: "Model directory (config.json, model.safetensors, tokenizer.json).")
    var model: String

    @Option(help: "VQA JSON file (VQA-RAD or SLAKE style); image paths relative to it.")
    var vqa: String

    @Option(help: "PEFT adapter directory to apply.")
    var adapter: String?

    @Option(help: "Evaluate only the first N items.")
    var limit: Int?

    @Option(help: "Questions per generation batch.")
    var batchSize = 32

    @Option(help: "Write each question, reference and prediction as JSON lines to this file.")
    var predictions: String?

    @Option(help: "Output format: text or json.")
    var format: ResultsTable.Format = .text

    func run() throws {
        let directory = URL(fileURLWithPath: model)
        let llava = try LlavaModel.load(from: directory)
        if let adapter { try llava.loadAdapter(from: URL(fileURLWithPath: adapter)) }
        let tokenizer = try BPETokenizer(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        var evaluator = VQAEvaluator()
        evaluator.batchSize = batchSize
        let start = Date()
        let (answers, evaluation) = try evaluator.evaluate(model: llava, tokenizer: tokenizer, vqaFile: vqa, limit: limit)
        if let predictions {
            let items = try VQADataset(contentsOf: vqa).items
            let lines = zip(items, answers).map { item, answer in
                "{\"id\":\(JSONString.quoted(item.id)),\"question\":\(JSONString.quoted(item.question)),"
                    + "\"answer\":\(JSONString.quoted(item.answer)),\"prediction\":\(JSONString.quoted(answer))}"
            }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: predictions))
        }
        var table = evaluation.table(title: "VQA \(vqa)")
        table.notes.append(String(format: "%.1f s", Date().timeIntervalSince(start)))
        print(table.rendered(as: format), terminator: "")
    }
}
