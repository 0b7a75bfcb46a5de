import Model
import Tensor

/// A training objective: given the model and a batch, a differentiable loss.
///
/// Objectives combine as a weighted sum (the plan's list). The trainer runs the batch's main
/// forward pass at most once and shares it among the objectives ( ``ObjectiveInput/mainOutput`` );
/// an objective may run extra passes (LoGra-Med's text-only passes), read intermediate
/// activations (the projected image features, the final hidden states), and own trainable
/// parameters, named `tessera.objective.<name>.*`, which the trainer optimises and saves in
/// `objective_params.safetensors` beside the PEFT adapter.
public protocol TrainingObjective: AnyObject {
    /// The name in the plan (`ar`, `infonce`, …).
    var name: String { get }
    /// The data fields the objective reads; the trainer checks the dataset before the first step.
    var requiredFields: Set<ExampleField> { get }
    /// Whether the loss needs the whole batch at once (graph matching, contrastive terms), so the
    /// trainer must not split it into gradient-accumulation micro-batches or data-parallel
    /// shards. Otherwise ``loss(_:)`` may run for several shards at once, on different threads.
    var requiresWholeBatches: Bool { get }
    /// Parameters the objective trains for itself, by their full names.
    var parameters: [(name: String, tensor: Tensor)] { get }
    /// The loss on one (micro-)batch, with named components for logging.
    func loss(_ input: ObjectiveInput) throws -> ObjectiveLoss
    /// How many items ``loss(_:)`` will average over for `batch`, when that is known before the
    /// forward pass (the autoregressive loss: the answer tokens). Gradient accumulation weighs
    /// each micro-batch by it, so that a step minimises the whole batch's mean; nil (the default)
    /// weighs the micro-batches equally.
    func averagedOver(_ batch: TrainingBatch) -> Int?
}

extension TrainingObjective {
    public func averagedOver(_ batch: TrainingBatch) -> Int? { nil }
}

/// What an objective is given for one batch.
///
/// The batch's main forward pass runs lazily and once: objectives that read only the image view
/// (InfoNCE, words) run the vision tower and projector alone, and the language model over the
/// conversations runs when an objective first reads ``mainOutput``, reusing those image features.
public struct ObjectiveInput {
    public let model: LlavaModel
    public let tokenizer: BPETokenizer
    public let batch: TrainingBatch
    public let context: ForwardContext
    public let maximumSequenceLength: Int
    private let pass: MainPass

    public init(model: LlavaModel, tokenizer: BPETokenizer, batch: TrainingBatch, context: ForwardContext, maximumSequenceLength: Int) {
        self.model = model
        self.tokenizer = tokenizer
        self.batch = batch
        self.context = context
        self.maximumSequenceLength = maximumSequenceLength
        pass = MainPass()
    }

    /// The main forward pass over the batch's conversations and images.
    /// - Throws: ``Model/ModelError/invalidInput(reason:)`` when the image tokens do not match the images.
    public var mainOutput: LlavaModel.Output {
        get throws {
            if let output = pass.output { return output }
            let output = try model.forward(batch.model, imageFeatures: imageFeatures, context: context)
            pass.output = output
            return output
        }
    }

    /// The projected image features as they enter the LLM, `(images, P', C)`; nil without images.
    public var imageFeatures: Tensor? {
        guard let pixels = batch.model.pixelValues else { return nil }
        if let features = pass.imageFeatures { return features }
        let features = model.imageFeatures(pixels, context)
        pass.imageFeatures = features
        return features
    }

    /// The image view of the batch's samples: the mean over patches of the projected image
    /// features as they enter the LLM, `(N, C)`.
    /// - Throws: ``TrainingError/missingField(objective:field:example:)`` when the pass has no images.
    func pooledImageFeatures(for objective: String) throws -> Tensor {
        guard let features = imageFeatures else {
            throw TrainingError.missingField(objective: objective, field: "image", example: batch.examples.first?.id ?? "")
        }
        return features.mean(alongAxis: 1)
    }

    /// What one pass has computed so far (objectives of a pass run one after another, on one thread).
    private final class MainPass {
        var imageFeatures: Tensor?
        var output: LlavaModel.Output?
    }
}

/// An objective's loss: the scalar to minimise and its parts.
public struct ObjectiveLoss {
    public var total: Tensor
    public var components: [String: Float]
    /// How many items `total` is a mean over (the autoregressive loss: the answer tokens), when it
    /// is one. A batch split into data-parallel shards weighs each shard's loss by its share of
    /// the items, so the step minimises the whole batch's mean; without it shards weigh equally.
    public var averagedOver: Int?

    public init(total: Tensor, components: [String: Float] = [:], averagedOver: Int? = nil) {
        self.total = total
        self.components = components
        self.averagedOver = averagedOver
    }
}

/// Builds objectives from the plan's entries.
public enum ObjectiveRegistry {
    /// The objectives this build implements.
    public static let names = ["ar", "infonce", "words"]

    /// The objective named by `entry`, configured from its options, for `model`.
    /// - Throws: ``TrainingError/unknownObjective(name:known:)`` or an invalid option.
    public static func make(_ entry: TrainerConfiguration.Objective, model: LlavaModel) throws -> TrainingObjective {
        try make(entry, hiddenSize: model.configuration.text.hiddenSize, vocabularySize: model.configuration.text.vocabularySize)
    }

    /// The objective named by `entry` for a language model of this width and vocabulary (all an
    /// objective's own tensors are sized by), so it can be built without loading a model.
    /// - Throws: ``TrainingError/unknownObjective(name:known:)`` or an invalid option.
    public static func make(_ entry: TrainerConfiguration.Objective, hiddenSize: Int, vocabularySize: Int) throws -> TrainingObjective {
        switch entry.name {
        case "ar":
            return AutoregressiveObjective()
        case "infonce":
            return try InfoNCEObjective(options: entry.options)
        case "words":
            return WordsObjective(width: hiddenSize, vocabulary: vocabularySize)
        default:
            throw TrainingError.unknownObjective(name: entry.name, known: names)
        }
    }

    /// The tensors `entries`' objectives train for themselves, at the values a fresh objective
    /// starts from (fixed by its options, never by a seed), in the objectives' order: what a plan
    /// lists and round 0's global adapter holds for them.
    /// - Throws: the errors of ``make(_:hiddenSize:vocabularySize:)``.
    public static func initialParameters(_ entries: [TrainerConfiguration.Objective], hiddenSize: Int,
                                         vocabularySize: Int) throws -> [(name: String, tensor: Tensor)] {
        try entries.flatMap { try make($0, hiddenSize: hiddenSize, vocabularySize: vocabularySize).parameters }
    }
}
