import Model
import Tensor

/// A batch ready for the model: the examples, their encoded conversations (right-padded to one
/// length) and images, and helpers objectives use for extra text-only passes.
public struct TrainingBatch {
    public let examples: [TrainingExample]
    /// The conversations as one model batch, with labels (answers only) and the attention mask.
    public let model: LlavaModel.Batch
    /// Tokens the model reads, image tokens included and padding not (the throughput the trainer
    /// logs as tokens per second).
    public let tokens: Int

    /// Encodes `examples` with `template`, truncating each to `maximumLength` tokens (never inside the
    /// image tokens) and padding on the right.
    /// - Throws: ``TrainingError`` when an example's image tokens do not fit in `maximumLength`.
    public init(examples: [TrainingExample], template: ChatTemplate, tokenizer: BPETokenizer, maximumLength: Int,
                imageSize: Int, padding: Int) throws {
        var encoded: [ChatTemplate.Encoded] = []
        for example in examples {
            var item = try template.encode(example.turns, tokenizer: tokenizer)
            if item.ids.count > maximumLength {
                let lastImage = item.ids.lastIndex(of: template.imageTokenID) ?? -1
                guard lastImage < maximumLength else {
                    throw TrainingError.sequenceTooShort(example: example.id, maximumLength: maximumLength, imageEnd: lastImage + 1)
                }
                item.ids.removeLast(item.ids.count - maximumLength)
                item.labels.removeLast(item.labels.count - maximumLength)
            }
            encoded.append(item)
        }
        let length = encoded.map(\.ids.count).max() ?? 0
        var ids: [Int] = [], labels: [Int] = [], mask: [Bool] = []
        for item in encoded {
            let pad = length - item.ids.count
            ids += item.ids + [Int](repeating: padding, count: pad)
            labels += item.labels + [Int](repeating: CrossEntropy.ignoreIndex, count: pad)
            mask += [Bool](repeating: true, count: item.ids.count) + [Bool](repeating: false, count: pad)
        }
        let images = examples.compactMap(\.pixels)
        let pixels = images.isEmpty ? nil : Tensor(shape: [images.count, 3, imageSize, imageSize], values: images.flatMap { $0 })
        self.examples = examples
        model = LlavaModel.Batch(inputIDs: ids, sequences: examples.count, pixelValues: pixels, labels: labels,
                                 attentionMask: mask.allSatisfy { $0 } ? nil : mask)
        tokens = encoded.map(\.ids.count).reduce(0, +)
    }

    /// Right-padded token ids and mask for text-only passes over `texts` (one per example), each
    /// truncated to `maximumLength`: `(ids (N·T), mask (N·T), T)`.
    public static func textOnly(_ texts: [String], tokenizer: BPETokenizer, maximumLength: Int, padding: Int)
        -> (ids: [Int], mask: [Bool], tokens: Int) {
        let encoded = texts.map { Array(tokenizer.encode($0).prefix(maximumLength)) }
        let length = Swift.max(1, encoded.map(\.count).max() ?? 1)
        var ids: [Int] = [], mask: [Bool] = []
        for item in encoded {
            // An empty text still takes one (padding) position so every row has a real token.
            let row = item.isEmpty ? [padding] : item
            ids += row + [Int](repeating: padding, count: length - row.count)
            mask += [Bool](repeating: true, count: row.count) + [Bool](repeating: false, count: length - row.count)
        }
        return (ids, mask, length)
    }
}
