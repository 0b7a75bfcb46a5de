import Model
import Tensor
@testable import Training
import Testing
import TestSupport

struct ObjectiveInputTests {
    /// The main pass is lazy: reading the image view runs the tower and projector alone, and the
    /// main output computed afterwards carries those same features (the tower does not run again)
    /// and equals an ordinary forward pass over the batch. Both passes hold one BLAS thread: the
    /// count is process-wide, and a trainer in a concurrent test could change it between them.
    @Test func theMainPassReusesTheImageViewAndMatchesAForwardPass() throws {
        try BLAS.holdingThreads(1) { try Self.compareTheMainPassWithAForwardPass() }
    }

    static func compareTheMainPassWithAForwardPass() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let model = TrainingFixtures.model(tokenizer: tokenizer)
        let examples = TrainingFixtures.examples(count: 3, imageSize: model.configuration.vision.imageSize)
        let batch = try TrainingBatch(examples: examples, template: ChatTemplate(configuration: model.configuration), tokenizer: tokenizer,
                                      maximumLength: 64, imageSize: model.configuration.vision.imageSize,
                                      padding: model.configuration.text.eosTokenID)
        let input = ObjectiveInput(model: model, tokenizer: tokenizer, batch: batch, context: .inference, maximumSequenceLength: 64)

        let features = try #require(input.imageFeatures)
        #expect(input.imageFeatures === features)
        let output = try input.mainOutput
        #expect(output.imageFeatures === features)
        #expect(try input.mainOutput.hiddenStates === output.hiddenStates)

        let eager = try model.forward(batch.model, context: .inference)
        #expect(eager.hiddenStates.shape == output.hiddenStates.shape)
        let difference = largestDifference(eager.hiddenStates.values, output.hiddenStates.values)
        #expect(difference == 0)
    }
}
