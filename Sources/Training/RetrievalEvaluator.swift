import Datasets
import Foundation
import Model
import Tensor

/// Image↔text retrieval recall@1/5/10 of a model on image–report pairs (ALGORITHMS.md §6): how well
/// its image view and its text view line up, the two views the alignment objectives train
/// (``InfoNCEObjective``): the mean of an image's projected patch features, and the mean final
/// hidden state of a text-only pass over the report. Cosine similarity; no learned head.
public struct RetrievalEvaluator {
    /// Pairs per forward batch.
    public var batchSize = 32
    /// Report tokens read (longer reports are cut).
    public var maximumTextLength = 128

    public init() {}

    /// Recall@1/5/10 in both directions over the pairs of a reports JSON-lines file (`image`,
    /// `report`; image paths relative to the file). Images with the same report text share it as
    /// one candidate (``RetrievalMetrics/recall(images:texts:width:groups:ks:)``).
    /// - Parameter limit: score only the first `limit` pairs (recall depends on the pool size: say it).
    /// - Throws: ``DatasetError`` for unreadable data or fewer than two pairs; ``ModelError``.
    public func evaluate(model: LlavaModel, tokenizer: BPETokenizer, reportsFile: String,
                         limit: Int? = nil) throws -> (pairs: Int, reports: Int, recall: RetrievalMetrics.Recall) {
        let pairs = Array(try ExampleLoader.captioned(reportsFile: reportsFile, imageSize: model.configuration.vision.imageSize)
            .prefix(limit ?? Int.max))
        guard pairs.count >= 2 else {
            throw DatasetError.invalidOption(name: "retrieval pairs", value: "\(pairs.count) in \(reportsFile)", expected: "at least 2 image–report pairs")
        }
        let side = model.configuration.vision.imageSize
        var images: [Float] = [], texts: [Float] = []
        let reports = pairs.map { $0.answers.joined(separator: ". ") }
        var groupOfReport: [String: Int] = [:]
        let groups = reports.map { report in
            if let group = groupOfReport[report] { return group }
            groupOfReport[report] = groupOfReport.count
            return groupOfReport.count - 1
        }
        try Autograd.withoutRecording {
            for start in stride(from: 0, to: pairs.count, by: batchSize) {
                let batch = pairs[start..<Swift.min(pairs.count, start + batchSize)]
                let pixels = Tensor(shape: [batch.count, 3, side, side], values: batch.flatMap { $0.pixels ?? [] })
                images += model.imageFeatures(pixels, .inference).mean(alongAxis: 1).values
                texts += try InfoNCEObjective.pooledTextStates(Array(reports[start..<start + batch.count]), model: model,
                                                               tokenizer: tokenizer, maximumLength: maximumTextLength,
                                                               context: .inference).values
            }
        }
        return (pairs.count, groupOfReport.count, try RetrievalMetrics.recall(images: images, texts: texts, width: model.configuration.text.hiddenSize,
                                                                             groups: groups))
    }
}
