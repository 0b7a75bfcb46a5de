import Foundation
import Tensor

/// A LLaVA model (HF `LlavaForConditionalGeneration`): CLIP vision tower → projector → LLaMA, with
/// image features written into the token embeddings at the image token's positions.
///
/// Parameters are named by their PyTorch module paths (``CheckpointNames``); files load and save in
/// HF's layout (`config.json` + `model.safetensors`).
public final class LlavaModel {
    public let configuration: LlavaConfiguration
    let vision: CLIPVisionTower
    let projector: Projector
    let language: LlamaDecoder
    /// The LoRA configuration applied, if any (``addLoRA(_:seed:)`` or ``loadAdapter(from:)``).
    public var lora: LoRAConfiguration?

    /// A model with all weights zero (norm weights one); load or initialise them next.
    public init(configuration: LlavaConfiguration) {
        self.configuration = configuration
        vision = CLIPVisionTower(configuration.vision)
        projector = Projector(configuration)
        language = LlamaDecoder(configuration.text)
    }

    /// Every base parameter by module path (`model.language_model.norm.weight`, …).
    public var parameters: [String: Tensor] {
        var result: [String: Tensor] = [:]
        for tensor in vision.parameters + projector.parameters + language.parameters {
            if let name = tensor.name { result[name] = tensor }
        }
        return result
    }

    /// Every linear layer, in module order (vision, projector, language model, lm_head).
    public var linearLayers: [LinearLayer] {
        vision.linearLayers + projector.linearLayers + language.linearLayers
    }

    /// The total number of base parameters (tied weights counted once).
    public var parameterCount: Int { parameters.values.reduce(0) { $0 + $1.count } }

    /// Fills every weight as HF's `_init_weights` does in spirit, from `seed`: linear and embedding
    /// weights and CLIP's class/position embeddings `N(0, 0.02)`, biases 0, norm weights 1.
    public func initializeWeights(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for name in parameters.keys.sorted() {
            guard let tensor = parameters[name] else { continue }
            if name.hasSuffix(".bias") {
                tensor.values = [Float](repeating: 0, count: tensor.count)
            } else if name.contains("norm") {
                tensor.values = [Float](repeating: 1, count: tensor.count)
            } else {
                tensor.values = (0..<tensor.count).map { _ in generator.normal() * 0.02 }
            }
        }
    }
}

// MARK: - Forward pass

extension LlavaModel {
    /// A rectangular batch of token sequences, optionally with images and labels.
    public struct Batch {
        /// `N·T` token ids, row-major.
        public var inputIDs: [Int]
        public var sequences: Int
        /// `T`.
        public var tokens: Int { sequences == 0 ? 0 : inputIDs.count / sequences }
        /// `(images, 3, H, W)`, one image per run of image tokens in order; nil for text only.
        public var pixelValues: Tensor?
        /// `N·T` labels, `-100` where no loss is taken (HF convention; shifted inside the loss).
        public var labels: [Int]?
        /// `N·T` flags, false for padding; nil when every token is real.
        public var attentionMask: [Bool]?

        public init(inputIDs: [Int], sequences: Int, pixelValues: Tensor? = nil, labels: [Int]? = nil, attentionMask: [Bool]? = nil) {
            self.inputIDs = inputIDs
            self.sequences = sequences
            self.pixelValues = pixelValues
            self.labels = labels
            self.attentionMask = attentionMask
        }
    }

    /// What a forward pass gives, including the activations objectives read. The `lm_head`
    /// projection is left to the caller: training needs it only at the positions a loss counts
    /// (``loss(_:labels:sequences:)``), which for short answers are a few percent of the tokens.
    public struct Output {
        /// The final hidden states after the last RMSNorm, `(N, T, C)`.
        public let hiddenStates: Tensor
        /// The projected image features as they enter the language model, `(images, P', C)`; nil
        /// without images.
        public let imageFeatures: Tensor?
        let language: LlamaDecoder
        let context: ForwardContext

        /// The logits `(N, T, V)` of every position (one `lm_head` GEMM per call).
        public func logits() -> Tensor { language.logits(hiddenStates, context) }

        /// The logits `(rows.count, V)` of positions `rows` of the flattened `(N·T)` sequence.
        public func logits(atRows rows: [Int]) -> Tensor {
            language.logits(hiddenStates.reshaped([-1, hiddenStates.shape.last ?? 0]).gatheringRows(rows), context)
        }
    }

    /// Projected image features `(images, P', C)` for `pixels (images, 3, H, W)`.
    public func imageFeatures(_ pixels: Tensor, _ context: ForwardContext) -> Tensor {
        let hidden = vision.hiddenState(afterLayers: configuration.visionLayersToRun, pixels: pixels, context)
        let selected = configuration.featureSelection == .default
            ? hidden.sliced(alongAxis: 1, 1..<hidden.shape[1]) : hidden
        return projector(selected, context)
    }

    /// Runs the model on `batch`. `imageFeatures`, when given, are `batch`'s images already through
    /// ``imageFeatures(_:_:)`` (an objective that read them first), so the tower does not run twice.
    /// - Throws: ``ModelError/invalidInput(reason:)`` when the image tokens do not match the images.
    public func forward(_ batch: Batch, imageFeatures: Tensor? = nil, context: ForwardContext = .inference) throws -> Output {
        let (hidden, features) = try hiddenStates(batch, imageFeatures: imageFeatures, context)
        return Output(hiddenStates: hidden, imageFeatures: features, language: language, context: context)
    }

    /// The final hidden states `(N, T, C)` of `batch` without the `lm_head` projection (for pooled
    /// text views, which need no logits).
    public func finalHiddenStates(_ batch: Batch, context: ForwardContext = .inference) throws -> Tensor {
        try hiddenStates(batch, imageFeatures: nil, context).hidden
    }

    private func hiddenStates(_ batch: Batch, imageFeatures: Tensor?, _ context: ForwardContext) throws
        -> (hidden: Tensor, imageFeatures: Tensor?) {
        let (sequences, tokens) = (batch.sequences, batch.tokens)
        guard sequences > 0, batch.inputIDs.count == sequences * tokens else {
            throw ModelError.invalidInput(reason: "\(batch.inputIDs.count) token ids do not form \(sequences) sequences")
        }
        let (embeddings, features) = try embeddings(for: batch, imageFeatures: imageFeatures, context)
        let positions = Self.positions(sequences: sequences, tokens: tokens, attentionMask: batch.attentionMask)
        let hidden = language.hiddenStates(embeddings, positions: positions, keyMask: batch.attentionMask, cache: nil, context)
        return (hidden, features)
    }

    /// Token embeddings `(N, T, C)` with the projected image features `(images, P', C)` written at
    /// the image tokens, in order (`imageFeatures` when given, else computed from the pixels).
    func embeddings(for batch: Batch, imageFeatures given: Tensor? = nil, _ context: ForwardContext) throws
        -> (embeddings: Tensor, imageFeatures: Tensor?) {
        let width = configuration.text.hiddenSize
        if let bad = batch.inputIDs.first(where: { $0 < 0 || $0 >= configuration.text.vocabularySize }) {
            throw ModelError.invalidInput(reason: "token id \(bad) is outside the vocabulary of \(configuration.text.vocabularySize)")
        }
        var embedded = language.embedTokens.gatheringRows(batch.inputIDs)
        let positions = batch.inputIDs.indices.filter { batch.inputIDs[$0] == configuration.imageTokenIndex }
        var features: Tensor?
        if let pixels = batch.pixelValues {
            let projected = given ?? imageFeatures(pixels, context)
            guard positions.count == projected.shape[0] * projected.shape[1] else {
                throw ModelError.invalidInput(reason: "\(positions.count) image tokens for \(projected.shape[0]) image(s) of "
                                              + "\(projected.shape[1]) features each")
            }
            embedded = embedded.puttingRows(projected.reshaped([-1, width]), at: positions)
            features = projected
        } else if !positions.isEmpty {
            throw ModelError.invalidInput(reason: "\(positions.count) image tokens but no image")
        }
        return (embedded.reshaped([batch.sequences, batch.tokens, width]), features)
    }

    /// Token positions: `0..<T` shared, or with padding, each real token's count of real tokens
    /// before it (HF's `cumsum(mask) − 1`, so left-padded sequences start at 0).
    static func positions(sequences: Int, tokens: Int, attentionMask: [Bool]?, offset: Int = 0) -> [Int] {
        guard let attentionMask else { return Array(offset..<(offset + tokens)) }
        var positions = [Int](repeating: 0, count: sequences * tokens)
        for n in 0..<sequences {
            var seen = 0
            for t in 0..<tokens {
                positions[n * tokens + t] = Swift.max(0, seen - (attentionMask[n * tokens + t] ? 0 : 1)) + offset
                if attentionMask[n * tokens + t] { seen += 1 }
            }
        }
        return positions
    }

    /// HF's causal-LM loss: logits at `t` predict the label at `t + 1`; mean cross-entropy over
    /// labels that are not `-100`.
    public func loss(logits: Tensor, labels: [Int], sequences: Int) -> Tensor {
        logits.crossEntropy(targets: Self.nextTokenTargets(labels, sequences: sequences))
    }

    /// The same loss from a forward pass, with `lm_head` applied only at the positions it counts:
    /// equal to ``loss(logits:labels:sequences:)`` on `output.logits()`, gradients included.
    public func loss(_ output: Output, labels: [Int], sequences: Int) -> Tensor {
        let targets = Self.nextTokenTargets(labels, sequences: sequences)
        let counted = targets.indices.filter { targets[$0] != CrossEntropy.ignoreIndex }
        return output.logits(atRows: counted).crossEntropy(targets: counted.map { targets[$0] })
    }

    /// How many tokens the causal-LM loss counts: labels that are not `-100`, past each sequence's
    /// first position (nothing predicts it).
    public static func lossTokenCount(labels: [Int], sequences: Int) -> Int {
        nextTokenTargets(labels, sequences: sequences).count { $0 != CrossEntropy.ignoreIndex }
    }

    /// Each position's target: the label of the next position in its sequence (`-100` at the end).
    static func nextTokenTargets(_ labels: [Int], sequences: Int) -> [Int] {
        let tokens = labels.count / Swift.max(sequences, 1)
        var shifted = [Int](repeating: CrossEntropy.ignoreIndex, count: labels.count)
        for n in 0..<sequences {
            for t in 0..<(tokens - 1) { shifted[n * tokens + t] = labels[n * tokens + t + 1] }
        }
        return shifted
    }
}
