import Foundation
import Model
import Tensor
@testable import Training
import Testing

struct BaseModelRecipeTests {
    static func data() -> BaseModelRecipe.Data {
        let examples = TrainingFixtures.examples(count: 16, imageSize: ModelPreset.tiny.configuration.vision.imageSize)
        let captioned = examples.map { example in
            TrainingExample(id: example.id, pixels: example.pixels,
                            turns: [.init(role: .human, text: "<image>\nDescribe the image."), .init(role: .assistant, text: example.answers[0])])
        }
        let corpus = examples.flatMap { $0.turns.map(\.text) } + ["No pleural effusion.", "Mild cardiomegaly.", "The liver is normal."]
        return BaseModelRecipe.Data(corpus: corpus, captioned: captioned, instructions: examples)
    }

    /// The whole recipe on the tiny preset: every stage lowers its loss, and the result loads as an
    /// HF model with its tokenizer; running it again resumes from the finished checkpoints and
    /// writes the same bytes.
    @Test func buildsTinyBaseModelEndToEnd() throws {
        var recipe = BaseModelRecipe(preset: .tiny, seed: 3)
        // Few steps each; the contrastive stage needs more to move off chance (log 16).
        for index in recipe.stages.indices { recipe.stages[index].steps = recipe.stages[index].name == "vision" ? 24 : 6 }
        let work = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let output = work.appendingPathComponent("model")
        let results = try recipe.build(data: Self.data(), workDirectory: work.appendingPathComponent("work"), output: output)
        #expect(results.map(\.name) == ["language", "vision", "projector", "instruction"])
        for result in results {
            print("stage \(result.name): loss \(result.firstLoss) -> \(result.lastLoss) in \(result.seconds) s")
            #expect(result.lastLoss < result.firstLoss, "\(result.name)")
        }
        let model = try LlavaModel.load(from: output)
        let tokenizer = try BPETokenizer(contentsOf: output.appendingPathComponent("tokenizer.json"))
        #expect(model.configuration.text.vocabularySize == tokenizer.vocabularySize)
        #expect(model.configuration.imageTokenIndex == tokenizer.imageTokenID)
        let weights = try Data(contentsOf: output.appendingPathComponent("model.safetensors"))
        let again = work.appendingPathComponent("again")
        _ = try recipe.build(data: Self.data(), workDirectory: work.appendingPathComponent("work"), output: again)
        #expect(try Data(contentsOf: again.appendingPathComponent("model.safetensors")) == weights)
    }
}
