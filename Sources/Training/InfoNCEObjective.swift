import Foundation
import Model
import Tensor

/// Symmetric InfoNCE between the image view and the answers view of each sample (CLIP's loss; the
/// baseline LoGra-Med is compared with, ALGORITHMS.md §3.7).
///
/// Legend: `N` samples, `C` the LLM width. Image view `v_i`: mean over patches of the projected
/// image features (as they enter the LLM). Answers view `c_i`: a text-only LLM pass over the
/// sample's answers joined with ". ", mean of the final hidden states over real tokens.
/// `S = exp(t) · cos(v_i, c_j)` `(N, N)`; `L = ½ [CE(S, diag) + CE(Sᵀ, diag)]`.
/// The log-scale `t` is the objective's own parameter `tessera.objective.infonce.logit_scale`,
/// initialised to `log(1/temperature)` (option `temperature`, default 0.07) and learned unless
/// the option `learn_temperature` is `false`.
public final class InfoNCEObjective: TrainingObjective {
    public let name = "infonce"
    public let requiredFields: Set<ExampleField> = [.image, .conversation]
    public let requiresWholeBatches = true
    /// `(1)`: log of the inverse temperature.
    let logitScale: Tensor

    public var parameters: [(name: String, tensor: Tensor)] {
        logitScale.requiresGradient ? [("tessera.objective.infonce.logit_scale", logitScale)] : []
    }

    public init(options: [String: String]) throws {
        let text = options["temperature"] ?? "0.07"
        guard let temperature = Float(text), temperature > 0 else {
            throw TrainingError.invalidObjectiveOption(objective: "infonce", option: "temperature", value: text, expected: "a positive number")
        }
        let learn = options["learn_temperature"] ?? "true"
        guard learn == "true" || learn == "false" else {
            throw TrainingError.invalidObjectiveOption(objective: "infonce", option: "learn_temperature", value: learn, expected: "true or false")
        }
        logitScale = Tensor(shape: [1], values: [Foundation.log(1 / temperature)], requiresGradient: learn == "true",
                            name: "tessera.objective.infonce.logit_scale")
    }

    public func loss(_ input: ObjectiveInput) throws -> ObjectiveLoss {
        let imageView = try input.pooledImageFeatures(for: name)
        let samples = imageView.shape[0]
        let answers = input.batch.examples.map { $0.answers.joined(separator: ". ") }
        let answerView = try Self.pooledTextStates(answers, input: input)
        let similarities = Tensor.cosineSimilarities(imageView, answerView) * logitScale.exp()
        let diagonal = Array(0..<samples)
        let loss = (similarities.crossEntropy(targets: diagonal) + similarities.transposed().crossEntropy(targets: diagonal)) * 0.5
        return ObjectiveLoss(total: loss, components: ["infonce": loss.item, "infonce.scale": Foundation.exp(logitScale.values[0])])
    }

    /// Mean final hidden state over the real tokens of a text-only pass: `(N, C)`.
    static func pooledTextStates(_ texts: [String], input: ObjectiveInput) throws -> Tensor {
        try pooledTextStates(texts, model: input.model, tokenizer: input.tokenizer, maximumLength: input.maximumSequenceLength,
                             context: input.context)
    }

    /// The answers (or report) view of `texts`: a text-only pass, the final hidden states averaged
    /// over each text's real tokens, `(N, C)`.
    public static func pooledTextStates(_ texts: [String], model: LlavaModel, tokenizer: BPETokenizer, maximumLength: Int,
                                        context: ForwardContext) throws -> Tensor {
        let padding = model.configuration.text.padTokenID ?? model.configuration.text.eosTokenID
        let (ids, mask, tokens) = TrainingBatch.textOnly(texts, tokenizer: tokenizer, maximumLength: maximumLength, padding: padding)
        let hidden = try model.finalHiddenStates(LlavaModel.Batch(inputIDs: ids, sequences: texts.count, attentionMask: mask),
                                                 context: context)
        let weights = Tensor(shape: [texts.count, tokens, 1], values: mask.map { $0 ? 1 : 0 })
        let counts = Tensor(shape: [texts.count, 1], values: (0..<texts.count).map { n in
            Float(mask[(n * tokens)..<((n + 1) * tokens)].filter { $0 }.count)
        })
        return (hidden * weights).sum(alongAxis: 1) / counts
    }
}
