import Foundation
import Tensor

/// How ``LlavaModel/generate(prompts:pixelValues:options:)`` picks tokens.
public struct GenerationOptions: Sendable {
    public var maximumNewTokens: Int
    /// 0 is greedy decoding; otherwise logits are divided by it before sampling.
    public var temperature: Float = 0
    /// Nucleus sampling: sample from the smallest set of tokens whose probabilities add up to at
    /// least `topP` (1 keeps them all).
    public var topP: Float = 1
    public var seed: UInt64 = 0
    /// Whether to run the prefix once and cache keys and values (the default), or recompute the
    /// whole sequence for every new token (for testing the cache).
    public var usesCache = true

    public init(maximumNewTokens: Int, temperature: Float = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.maximumNewTokens = maximumNewTokens
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
    }
}

extension LlavaModel {
    /// Continues each prompt until the end-of-sequence token or `maximumNewTokens`, batched: prompts
    /// are left-padded to one length and masked, so every sequence sees only its own tokens.
    /// - Parameters:
    ///   - prompts: token ids per prompt, image tokens already expanded (one per feature).
    ///   - pixelValues: `(images, 3, H, W)`, one image per run of image tokens, in prompt order.
    /// - Returns: the new tokens of each prompt, without the end-of-sequence token.
    /// - Throws: ``ModelError/invalidInput(reason:)`` for empty prompts, mismatched image tokens or
    ///   a negative `maximumNewTokens`.
    public func generate(prompts: [[Int]], pixelValues: Tensor?, options: GenerationOptions) throws -> [[Int]] {
        guard !prompts.isEmpty, prompts.allSatisfy({ !$0.isEmpty }) else {
            throw ModelError.invalidInput(reason: "generation needs at least one non-empty prompt")
        }
        guard options.maximumNewTokens >= 0 else {
            throw ModelError.invalidInput(reason: "maximumNewTokens is \(options.maximumNewTokens); it must not be negative")
        }
        return try Autograd.withoutRecording {
            let context = ForwardContext.inference
            let text = configuration.text
            let sequences = prompts.count, length = prompts.map(\.count).max() ?? 0
            let padding = text.padTokenID ?? text.eosTokenID
            var tokens = prompts.map { [Int](repeating: padding, count: length - $0.count) + $0 }
            var mask = prompts.map { [Bool](repeating: false, count: length - $0.count) + [Bool](repeating: true, count: $0.count) }
            var generator = SeededGenerator(seed: options.seed)
            var outputs = [[Int]](repeating: [], count: sequences)
            var finished = [Bool](repeating: false, count: sequences)
            /// The logits `(N, V)` of each sequence's last position, the only ones decoding reads
            /// (`lm_head` on every prompt position was about a quarter of a demo prompt's multiply-adds).
            func lastLogits(_ hidden: Tensor) -> Tensor {
                let steps = hidden.shape[1]
                let last = steps == 1 ? hidden : hidden.reshaped([-1, text.hiddenSize]).gatheringRows((0..<sequences).map { $0 * steps + steps - 1 })
                return language.logits(last.reshaped([sequences, text.hiddenSize]), context)
            }

            // Embeddings of the padded prompts with the image features written in.
            var batch = Batch(inputIDs: tokens.flatMap { $0 }, sequences: sequences, pixelValues: pixelValues,
                              attentionMask: mask.flatMap { $0 })
            let promptEmbeddings = try embeddings(for: batch, context).embeddings
            let cache = options.usesCache ? KVCache(layers: text.layers) : nil
            var logits = lastLogits(language.hiddenStates(
                promptEmbeddings, positions: Self.positions(sequences: sequences, tokens: length, attentionMask: batch.attentionMask),
                keyMask: batch.attentionMask, cache: cache, context))

            for _ in 0..<options.maximumNewTokens {
                for n in 0..<sequences where !finished[n] {
                    let start = n * text.vocabularySize
                    let next = Self.pick(from: Array(logits.values[start ..< start + text.vocabularySize]),
                                         options: options, generator: &generator)
                    if next == text.eosTokenID {
                        finished[n] = true
                    } else {
                        outputs[n].append(next)
                        finished[n] = outputs[n].count == options.maximumNewTokens
                    }
                }
                if finished.allSatisfy({ $0 }) { break }
                for n in 0..<sequences {
                    // A finished sequence is fed masked padding until the others finish.
                    let next = finished[n] ? padding : (outputs[n].last ?? padding)
                    tokens[n].append(next)
                    mask[n].append(!finished[n])
                }
                let total = tokens[0].count
                let flatMask = mask.flatMap { $0 }
                let allPositions = Self.positions(sequences: sequences, tokens: total, attentionMask: flatMask)
                if let cache {
                    // One new token per sequence, attending to everything cached.
                    let newTokens = tokens.map { [$0[total - 1]] }.flatMap { $0 }
                    let embedded = language.embedTokens.gatheringRows(newTokens).reshaped([sequences, 1, text.hiddenSize])
                    let positions = (0..<sequences).map { allPositions[$0 * total + total - 1] }
                    logits = lastLogits(language.hiddenStates(embedded, positions: positions, keyMask: flatMask, cache: cache, context))
                } else {
                    batch = Batch(inputIDs: tokens.flatMap { $0 }, sequences: sequences, pixelValues: pixelValues, attentionMask: flatMask)
                    logits = lastLogits(language.hiddenStates(try embeddings(for: batch, context).embeddings, positions: allPositions,
                                                              keyMask: flatMask, cache: nil, context))
                }
            }
            return outputs
        }
    }

    /// Greedy argmax, or temperature and top-p sampling.
    static func pick(from logits: [Float], options: GenerationOptions, generator: inout SeededGenerator) -> Int {
        guard options.temperature > 0 else {
            var best = 0
            for i in logits.indices where logits[i] > logits[best] { best = i }
            return best
        }
        let maximum = logits.max() ?? 0
        var probabilities = logits.map { Foundation.exp(($0 - maximum) / options.temperature) }
        let total = probabilities.reduce(0, +)
        for i in probabilities.indices { probabilities[i] /= total }
        let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
        var kept: [Int] = [], mass: Float = 0
        for index in order {
            kept.append(index)
            mass += probabilities[index]
            if mass >= options.topP { break }
        }
        var draw = generator.uniform() * mass
        for index in kept {
            draw -= probabilities[index]
            if draw < 0 { return index }
        }
        return kept.last ?? 0
    }
}
