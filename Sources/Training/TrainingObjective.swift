import Model
import Tensor

/// A training objective: given the model and a batch, a differentiable loss.
///
/// Objectives combine as a weighted sum (the plan's list). The trainer runs the batch's main
/// forward pass once and hands its output to every objective ( ``ObjectiveInput/mainOutput`` );
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
}

/// What an objective is given for one batch.
public struct ObjectiveInput {
    public let model: LlavaModel
    public let tokenizer: BPETokenizer
    public let batch: TrainingBatch
    /// The main forward pass over the batch's conversations and images.
    public let mainOutput: LlavaModel.Output
    public let context: ForwardContext
    public let maximumSequenceLength: Int

    /// The image view of the batch's samples: the mean over patches of the projected image
    /// features as they enter the LLM, `(N, C)`.
    /// - Throws: ``TrainingError/missingField(objective:field:example:)`` when the pass has no images.
    func pooledImageFeatures(for objective: String) throws -> Tensor {
        guard let features = mainOutput.imageFeatures else {
            throw TrainingError.missingField(objective: objective, field: "image", example: batch.examples.first?.id ?? "")
        }
        return features.mean(alongAxis: 1)
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

    /// The objective named by `entry`, configured from its options.
    /// - Throws: ``TrainingError/unknownObjective(name:known:)`` or an invalid option.
    public static func make(_ entry: TrainerConfiguration.Objective, model: LlavaModel) throws -> TrainingObjective {
        switch entry.name {
        case "ar":
            return AutoregressiveObjective()
        case "infonce":
            return try InfoNCEObjective(options: entry.options)
        case "words":
            return WordsObjective(model: model)
        default:
            throw TrainingError.unknownObjective(name: entry.name, known: names)
        }
    }
}
