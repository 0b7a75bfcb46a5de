import Foundation
import Model
import Tensor

/// Bag-of-words prediction from the image (Joulin et al., "Learning visual features from large
/// weakly supervised data", 2016): the pooled image view predicts which tokens the sample's
/// answers (its report, in the base recipe's vision stage) contain.
///
/// Legend: `N` samples, `C` the LLM width, `V` the vocabulary. Image view `v_n`: mean over patches
/// of the projected image features, as for ``InfoNCEObjective``. Target `t_n`: the answers' token
/// counts, normalised to sum to 1. `L = −(1/N) Σ_n Σ_v t_nv · log softmax(W v_n + b)_v`, with the
/// objective's own head `tessera.objective.words.weight` `(V, C)` and `.bias` `(V)`.
///
/// Why: the contrastive loss's text side (the LLM's pooled states) barely tells "left" from
/// "right", so it leaves a finding's side, region and size out of the image features; naming the
/// report's words puts more of them in (README, the ML engineer's section, has the figures).
public final class WordsObjective: TrainingObjective {
    public let name = "words"
    public let requiredFields: Set<ExampleField> = [.image, .conversation]
    public let requiresWholeBatches = false
    /// `(V, C)`, drawn from N(0, 1/C) with a fixed seed, so a run is reproducible.
    let weight: Tensor
    /// `(V)`, zero.
    let bias: Tensor

    public var parameters: [(name: String, tensor: Tensor)] {
        [("tessera.objective.words.weight", weight), ("tessera.objective.words.bias", bias)]
    }

    init(width: Int, vocabulary: Int) {
        var generator = SeededGenerator(seed: 0x776F_7264_73)  // "words"
        let scale = 1 / Float(width).squareRoot()
        weight = Tensor(shape: [vocabulary, width], values: (0..<(vocabulary * width)).map { _ in generator.normal() * scale },
                        requiresGradient: true, name: "tessera.objective.words.weight")
        bias = Tensor(shape: [vocabulary], values: [Float](repeating: 0, count: vocabulary), requiresGradient: true,
                      name: "tessera.objective.words.bias")
    }

    public func loss(_ input: ObjectiveInput) throws -> ObjectiveLoss {
        let imageView = try input.pooledImageFeatures(for: name)
        let tokens = input.batch.examples.map { input.tokenizer.encode($0.answers.joined(separator: ". ")) }
        let loss = loss(imageView: imageView, answerTokens: tokens)
        return ObjectiveLoss(total: loss, components: ["words": loss.item], averagedOver: tokens.count)
    }

    public func averagedOver(_ batch: TrainingBatch) -> Int? { batch.examples.count }

    /// `L` for the image views `(N, C)` and each sample's answer tokens (ids outside the
    /// vocabulary are ignored; a sample without tokens adds nothing).
    func loss(imageView: Tensor, answerTokens: [[Int]]) -> Tensor {
        let samples = answerTokens.count, vocabulary = bias.shape[0]
        var targets = [Float](repeating: 0, count: samples * vocabulary)
        for (n, tokens) in answerTokens.enumerated() {
            let known = tokens.filter { (0..<vocabulary).contains($0) }
            for token in known { targets[n * vocabulary + token] += 1 / Float(known.count) }
        }
        let logProbabilities = imageView.linear(weight: weight, bias: bias).logSoftmax()
        return (logProbabilities * Tensor(shape: [samples, vocabulary], values: targets)).sum() * (-1 / Float(samples))
    }
}
