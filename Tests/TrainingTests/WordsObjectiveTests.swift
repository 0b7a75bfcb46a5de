import Foundation
import Model
import Tensor
@testable import Training
import Testing

struct WordsObjectiveTests {
    /// The loss and its gradient with respect to the image view against the closed form:
    /// `L = −(1/N) Σ_n Σ_v t_nv log p_nv`, `∂L/∂v_n = (1/N) Wᵀ (p_n − t_n)`, `p_n = softmax(W v_n + b)`.
    @Test func lossAndImageGradientMatchTheClosedForm() throws {
        let objective = WordsObjective(width: 4, vocabulary: 5)
        let views: [Float] = [0.5, -1, 0.25, 2, -0.5, 0.75, 1.5, -2, 1, 1, -1, 0]
        let imageView = Tensor(shape: [3, 4], values: views, requiresGradient: true)
        // Sample 2's token 9 is outside the vocabulary and ignored.
        let tokens = [[1, 2, 2], [0, 9], [3, 3, 3, 1]]
        let loss = objective.loss(imageView: imageView, answerTokens: tokens)
        loss.backward()

        let weight = objective.weight.values
        let targets: [[Float]] = [[0, 1.0 / 3, 2.0 / 3, 0, 0], [1, 0, 0, 0, 0], [0, 0.25, 0, 0.75, 0]]
        var expectedLoss: Double = 0
        var expectedGradient = [Double](repeating: 0, count: 12)
        for n in 0..<3 {
            let logits = (0..<5).map { v in (0..<4).reduce(0.0) { $0 + Double(weight[v * 4 + $1]) * Double(views[n * 4 + $1]) } }
            let logSum = log(logits.map { exp($0) }.reduce(0, +))
            for v in 0..<5 {
                expectedLoss -= Double(targets[n][v]) * (logits[v] - logSum) / 3
                let residual = exp(logits[v] - logSum) - Double(targets[n][v])
                for c in 0..<4 { expectedGradient[n * 4 + c] += residual * Double(weight[v * 4 + c]) / 3 }
            }
        }
        #expect(abs(Double(loss.item) - expectedLoss) < 1e-5)
        let gradient = try #require(imageView.grad)
        for (got, expected) in zip(gradient, expectedGradient) { #expect(abs(Double(got) - expected) < 1e-5) }
        #expect(objective.bias.grad != nil)
    }

    /// Trained alone on the tiny preset's left/right images, with the tower and projector learning,
    /// the objective's head comes to name each image's side from the image: the loss falls and the
    /// pooled features of every left image score "left" above "right", and the other way round.
    @Test func learnsTheSideFromTheImage() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let model = TrainingFixtures.model(tokenizer: tokenizer)
        var configuration = TrainingFixtures.configuration(steps: 150, objectives: [.init(name: "words")])
        configuration.fullyTrainedModules = ["model.vision_tower", "model.multi_modal_projector"]
        configuration.modulesToSave = []
        let examples = TrainingFixtures.examples(count: 8, imageSize: 16)
        let trainer = try LocalTrainer(model: model, tokenizer: tokenizer, configuration: configuration, examples: examples)
        var losses: [Float] = []
        try trainer.train { losses.append($0.components["words"] ?? .nan) }
        print("words: first loss \(losses[0]), last \(losses[losses.count - 1])")
        #expect(losses[losses.count - 1] < losses[0] - 1)

        let objective = try #require(trainer.objectives.first?.objective as? WordsObjective)
        // The tokens that tell the two answers apart.
        let leftTokens = Set(tokenizer.encode("The nodule is in the left lung.")), rightTokens = Set(tokenizer.encode("The nodule is in the right lung."))
        let left = try #require(leftTokens.subtracting(rightTokens).first), right = try #require(rightTokens.subtracting(leftTokens).first)
        let context = ForwardContext.inference
        for example in examples {
            let pixels = Tensor(shape: [1, 3, 16, 16], values: try #require(example.pixels))
            let logits = model.imageFeatures(pixels, context).mean(alongAxis: 1).linear(weight: objective.weight, bias: objective.bias).values
            let saysLeft = logits[left] > logits[right]
            #expect(saysLeft == example.answers[0].contains("left"), "\(example.id)")
        }
    }
}
