import ArgumentParser
import Foundation
import Model
import Reporting
import Tensor

/// `tessera model verify`: parity of a model (and adapter) with reference outputs from HF/PEFT.
struct ModelVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare logits, loss and gradients with a reference case made by HF transformers/PEFT.",
        discussion: """
            The case file holds input_ids, pixel_values and labels, and the reference tensors \
            (logits, loss, grad.<PEFT name>; or logits_base/loss_base and logits_lora/loss_lora) — \
            the format of shared/fixtures/make_hf_fixtures.py. Exits non-zero if any element differs \
            by more than the absolute tolerance plus the relative tolerance times the reference.
            """
    )

    @Argument(help: "Model directory (config.json + model.safetensors).")
    var directory: String

    @Option(name: .customLong("case"), help: "Reference case (.safetensors).")
    var caseFile: String

    @Option(help: "PEFT adapter directory to load before running the case.")
    var adapter: String?

    @Option(help: "Absolute tolerance.")
    var absoluteTolerance = 1e-4

    @Option(help: "Relative tolerance, times |reference|.")
    var relativeTolerance = 1e-3

    @Option(help: "Output format: text or json.")
    var format: ResultsTable.Format = .text

    func run() throws {
        let model = try LlavaModel.load(from: URL(fileURLWithPath: directory))
        if let adapter { try model.loadAdapter(from: URL(fileURLWithPath: adapter)) }
        let rows = try ParityCheck.run(model: model, caseFile: SafetensorsFile(contentsOf: URL(fileURLWithPath: caseFile)),
                                       withAdapter: adapter != nil, absoluteTolerance: absoluteTolerance,
                                       relativeTolerance: relativeTolerance)
        var table = ResultsTable(title: "parity with \(caseFile)", columns: ["tensor", "max abs diff", "max rel diff", "result"])
        for row in rows {
            table.append([.text(row.name), .number(row.maximumAbsoluteDifference, decimals: 9),
                          .number(row.maximumRelativeDifference, decimals: 9), .text(row.passed ? "ok" : "FAIL")])
        }
        let failed = rows.filter { !$0.passed }.count
        table.notes.append("\(rows.count - failed) of \(rows.count) tensors within \(absoluteTolerance) + \(relativeTolerance)·|reference|")
        print(table.rendered(as: format), terminator: "")
        if rows.isEmpty || failed > 0 { throw ExitCode.failure }
    }
}
