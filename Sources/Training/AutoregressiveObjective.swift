import Model
import Tensor

/// LLaVA's instruction-tuning loss (ALGORITHMS.md §2): mean next-token cross-entropy over the
/// assistant tokens only (labels `-100` elsewhere), as HF's causal-LM loss computes it.
public final class AutoregressiveObjective: TrainingObjective {
    public let name = "ar"
    public let requiredFields: Set<ExampleField> = [.conversation]
    public let requiresWholeBatches = false
    public let parameters: [(name: String, tensor: Tensor)] = []

    public init() {}

    public func loss(_ input: ObjectiveInput) throws -> ObjectiveLoss {
        let batch = input.batch.model
        let loss = input.model.loss(try input.mainOutput, labels: batch.labels ?? [], sequences: batch.sequences)
        return ObjectiveLoss(total: loss, components: ["ar": loss.item], averagedOver: averagedOver(input.batch))
    }

    public func averagedOver(_ batch: TrainingBatch) -> Int? {
        LlavaModel.lossTokenCount(labels: batch.model.labels ?? [], sequences: batch.model.sequences)
    }
}
