import Datasets
import Foundation
import Model
import Tensor

/// Answers VQA questions with a model (greedy decoding with the KV cache, batched) and scores them
/// with the data library's metrics (ALGORITHMS.md §6).
public struct VQAEvaluator {
    public var batchSize = 32
    public var maximumNewTokens = 12
    /// Batches answered at once, each on its own thread with single-threaded kernels
    /// (``DataParallel``). The batches are the same whatever the threads; the answers too, but for
    /// OpenBLAS rounding some products differently on one thread and on several (the demo's ten
    /// evaluations of 1,000 items scored the same either way).
    public var threads = 1

    public init() {}

    /// Predictions and metrics for the items of a VQA file (its images found as ``VQADataset`` finds them).
    /// - Throws: ``DatasetError`` for unreadable data, ``ModelError`` when prompts do not fit the model.
    public func evaluate(model: LlavaModel, tokenizer: BPETokenizer, vqaFile: String,
                         limit: Int? = nil) throws -> (predictions: [String], evaluation: VQAEvaluation) {
        try evaluate(model: model, tokenizer: tokenizer, dataset: try VQADataset(contentsOf: vqaFile), limit: limit)
    }

    /// Predictions and metrics for the first `limit` items of `dataset`.
    /// - Throws: ``DatasetError`` for unreadable images, ``ModelError`` when prompts do not fit the model.
    public func evaluate(model: LlavaModel, tokenizer: BPETokenizer, dataset: VQADataset,
                         limit: Int? = nil) throws -> (predictions: [String], evaluation: VQAEvaluation) {
        let items = Array(dataset.items.prefix(limit ?? dataset.items.count))
        let template = ChatTemplate(configuration: model.configuration)
        let imageSize = model.configuration.vision.imageSize
        func answers(_ batch: Range<Int>) throws -> [String] {
            let pixels = try ImagePreprocessor(imageSize: imageSize).batch(contentsOf: Array(dataset.imageFiles[batch]))
            let prompts = try items[batch].map { item in
                try template.prompt([.init(role: .human, text: "<image>\n" + item.question)], tokenizer: tokenizer)
            }
            return try model.generate(prompts: prompts, pixelValues: pixels, options: GenerationOptions(maximumNewTokens: maximumNewTokens))
                .map { try tokenizer.decode($0, skipSpecialTokens: true) }
        }
        let batches = stride(from: 0, to: items.count, by: batchSize).map { $0..<Swift.min(items.count, $0 + batchSize) }
        let width = Swift.max(1, threads)
        var predictions: [String] = []
        for group in stride(from: 0, to: batches.count, by: width) {
            let concurrent = batches[group..<Swift.min(batches.count, group + width)]
            for answered in try DataParallel.map(concurrent.count, { try answers(concurrent[group + $0]) }) {
                predictions += answered
            }
        }
        return (predictions, try VQAEvaluation(items: items, predictions: predictions))
    }
}
