import ArgumentParser
import Foundation
import Model
import Reporting

/// `tessera model info`: what a model directory holds.
struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print a model's configuration and parameter counts (optionally with a PEFT adapter)."
    )

    @Argument(help: "Model directory (config.json + model.safetensors).")
    var directory: String

    @Option(help: "A PEFT adapter directory to load on top (adapter_config.json + adapter_model.safetensors).")
    var adapter: String?

    @Option(help: "Output format: text or json.")
    var format: ResultsTable.Format = .text

    func run() throws {
        let model = try LlavaModel.load(from: URL(fileURLWithPath: directory))
        if let adapter { try model.loadAdapter(from: URL(fileURLWithPath: adapter)) }
        let c = model.configuration
        var table = ResultsTable(title: "model \(directory)", columns: ["property", "value"])
        let rows: [(String, String)] = [
            ("parameters", "\(model.parameterCount)"),
            ("trainable parameters", "\(model.trainableParameters.reduce(0) { $0 + $1.tensor.count })"),
            ("vision", "CLIP width \(c.vision.hiddenSize), \(c.vision.layers) layers, \(c.vision.heads) heads, "
                + "image \(c.vision.imageSize) px, patch \(c.vision.patchSize) (\(c.vision.patchCount) patches)"),
            ("projector", "\(c.vision.hiddenSize) → \(c.text.hiddenSize) → \(c.text.hiddenSize), \(c.projectorActivation.rawValue)"),
            ("language", "LLaMA width \(c.text.hiddenSize), \(c.text.layers) layers, \(c.text.heads) heads "
                + "(\(c.text.keyValueHeads) KV), MLP \(c.text.intermediateSize), vocabulary \(c.text.vocabularySize)"),
            ("image tokens", "\(c.imageTokensPerImage) per image, token id \(c.imageTokenIndex), vision layer \(c.visionFeatureLayer)"),
            ("adapter", model.lora.map { "LoRA r \($0.rank), alpha \($0.alpha), \($0.targets), modules_to_save \($0.modulesToSave)" } ?? "none"),
        ]
        for (property, value) in rows { table.append([.text(property), .text(value)]) }
        print(table.rendered(as: format), terminator: "")
    }
}
