import Datasets
import Foundation
import Model
import Tensor

/// Answers VQA questions with a model (greedy decoding with the KV cache, batched) and scores them
/// with the data library's metrics (ALGORITHMS.md §6).
public struct VQAEvaluator {
    public var batchSize = 32
    public var maximumNewTokens = 12

    public init() {}

    /// Predictions and metrics for the items of a VQA file; image paths relative to the file.
    /// - Throws: ``DatasetError`` for unreadable data, ``ModelError`` when prompts do not fit the model.
    public func evaluate(model: LlavaModel, tokenizer: BPETokenizer, vqaFile: String,
                         limit: Int? = nil) throws -> (predictions: [String], evaluation: VQAEvaluation) {
        let dataset = try VQADataset(contentsOf: vqaFile)
        let items = Array(dataset.items.prefix(limit ?? dataset.items.count))
        let directory = (vqaFile as NSString).deletingLastPathComponent
        let template = ChatTemplate(configuration: model.configuration)
        let imageSize = model.configuration.vision.imageSize
        var predictions: [String] = []
        for start in stride(from: 0, to: items.count, by: batchSize) {
            let batch = Array(items[start..<Swift.min(items.count, start + batchSize)])
            let pixels = try ImagePreprocessor(imageSize: imageSize)
                .batch(contentsOf: batch.map { ExampleLoader.resolve($0.image, in: directory) })
            let prompts = try batch.map { item in
                try template.prompt([.init(role: .human, text: "<image>\n" + item.question)], tokenizer: tokenizer)
            }
            let answers = try model.generate(prompts: prompts, pixelValues: pixels,
                                             options: GenerationOptions(maximumNewTokens: maximumNewTokens))
            for answer in answers { predictions.append(try tokenizer.decode(answer, skipSpecialTokens: true)) }
        }
        return (predictions, try VQAEvaluation(items: items, predictions: predictions))
    }
}
