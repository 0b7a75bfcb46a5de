import Datasets
import Foundation
import Model
import Tensor

/// Answers VQA questions with a model (greedy decoding with the KV cache, batched) and scores them
/// with the data library's metrics (ALGORITHMS.md §6).
public struct VQAEvaluator {
    public var batchSize = 32
    /// Tokens generated per answer at most: MedSynth's answers take at most 7 with the recipe's
    /// tokenizer; sentence-style answers need more (`tessera eval --max-new-tokens`).
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
                         limit: Int? = nil) throws -> Result {
        try evaluate(model: model, tokenizer: tokenizer, dataset: try VQADataset(contentsOf: vqaFile), limit: limit)
    }

    /// What an evaluation returns: the items answered, in order, with their answers and scores.
    public struct Result {
        public var items: [VQAItem]
        public var predictions: [String]
        public var evaluation: VQAEvaluation
    }

    /// Predictions and metrics for `dataset`'s items, or for `limit` of them spread evenly over the
    /// file (``sample(count:limit:)``).
    /// - Throws: ``DatasetError`` for unreadable images, ``ModelError`` when prompts do not fit the model.
    public func evaluate(model: LlavaModel, tokenizer: BPETokenizer, dataset: VQADataset,
                         limit: Int? = nil) throws -> Result {
        let chosen = Self.sample(count: dataset.items.count, limit: limit)
        let items = chosen.map { dataset.items[$0] }, imageFiles = chosen.map { dataset.imageFiles[$0] }
        let template = ChatTemplate(configuration: model.configuration)
        let imageSize = model.configuration.vision.imageSize
        func answers(_ batch: Range<Int>) throws -> [String] {
            let pixels = try ImagePreprocessor(imageSize: imageSize).batch(contentsOf: Array(imageFiles[batch]))
            let prompts = try items[batch].map { item in
                try template.prompt([.init(role: .human, text: "<image>\n" + item.question)], tokenizer: tokenizer)
            }
            return try model.generate(prompts: prompts, pixelValues: pixels, options: GenerationOptions(maximumNewTokens: maximumNewTokens))
                .map { tokenizer.decode($0, skipSpecialTokens: true) }
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
        return Result(items: items, predictions: predictions, evaluation: try VQAEvaluation(items: items, predictions: predictions))
    }

    /// The indices of `limit` of `count` items spread evenly (`⌊j · count / limit⌋`), or all of them.
    /// Test files are often sorted (closed questions first, one modality after another), so the
    /// first items alone would be one kind.
    public static func sample(count: Int, limit: Int?) -> [Int] {
        guard let limit, limit < count else { return Array(0..<count) }
        return (0..<Swift.max(0, limit)).map { $0 * count / limit }
    }
}
