import ArgumentParser
import Datasets
import Foundation
import Model

/// `tessera model generate`: answer a question about one image.
struct ModelGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Answer a prompt about an image (PNG, JPEG or DICOM) with a model and optional adapter."
    )

    @Argument(help: "Model directory (config.json, model.safetensors, tokenizer.json).")
    var directory: String

    @Option(help: "Image file: PNG, JPEG or DICOM.")
    var image: String

    @Option(help: "The question or instruction.")
    var prompt: String

    @Option(help: "PEFT adapter directory to apply.")
    var adapter: String?

    @Option(help: "Most tokens to generate.")
    var maxTokens = 64

    @Option(help: "Sampling temperature; 0 is greedy decoding.")
    var temperature: Float = 0

    @Option(help: "Nucleus sampling: keep the smallest set of tokens with this much probability.")
    var topP: Float = 0.95

    @Option(help: "Seed of the sampler.")
    var seed: UInt64 = 0

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be 0 or more") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: directory)
        let model = try LlavaModel.load(from: url)
        if let adapter { try model.loadAdapter(from: URL(fileURLWithPath: adapter)) }
        let tokenizer = try BPETokenizer(contentsOf: url.appendingPathComponent("tokenizer.json"))
        let pixels = try ImagePreprocessor(imageSize: model.configuration.vision.imageSize).batch(contentsOf: [image])
        let ids = try ChatTemplate(configuration: model.configuration)
            .prompt([.init(role: .human, text: "<image>\n" + prompt)], tokenizer: tokenizer)
        var options = GenerationOptions(maximumNewTokens: maxTokens, temperature: temperature, topP: topP, seed: seed)
        options.usesCache = true
        let answer = try model.generate(prompts: [ids], pixelValues: pixels, options: options)
        print(tokenizer.decode(answer.first ?? [], skipSpecialTokens: true).trimmingCharacters(in: .whitespaces))
    }
}
