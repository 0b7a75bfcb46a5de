import Foundation
import Model
import Tensor
import Training

/// A tiny model sized to the HF fixture tokenizer, and small image conversations to train it on.
enum TrainingFixtures {
    static func tokenizer() throws -> BPETokenizer {
        guard let url = Bundle.module.url(forResource: "Fixtures/tokenizer.json", withExtension: nil) else {
            throw ModelError.unreadable(file: "Fixtures/tokenizer.json", reason: "missing from the test bundle")
        }
        return try BPETokenizer(contentsOf: url)
    }

    static func model(tokenizer: BPETokenizer, seed: UInt64 = 1) -> LlavaModel {
        var configuration = ModelPreset.tiny.configuration
        configuration.text.vocabularySize = tokenizer.vocabularySize
        configuration.imageTokenIndex = tokenizer.imageTokenID ?? 3
        configuration.text.bosTokenID = tokenizer.beginningOfSequenceID ?? 1
        configuration.text.eosTokenID = tokenizer.endOfSequenceID ?? 2
        let model = LlavaModel(configuration: configuration)
        model.initializeWeights(seed: seed)
        return model
    }

    /// `count` examples: a bright blob on the left or right of a random image, asked about.
    static func examples(count: Int, imageSize: Int, seed: UInt64 = 5) -> [TrainingExample] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { index in
            let left = index % 2 == 0
            var pixels = [Float](repeating: 0, count: 3 * imageSize * imageSize)
            for channel in 0..<3 {
                for y in 0..<imageSize {
                    for x in 0..<imageSize {
                        let inBlob = (left ? x < imageSize / 2 : x >= imageSize / 2) && abs(y - imageSize / 2) < imageSize / 4
                        pixels[(channel * imageSize + y) * imageSize + x] = (inBlob ? 1.5 : -1) + 0.1 * generator.normal()
                    }
                }
            }
            let answer = left ? "The nodule is in the left lung." : "The nodule is in the right lung."
            return TrainingExample(id: "case-\(index)", pixels: pixels,
                                   turns: [.init(role: .human, text: "<image>\nWhere is the nodule?"), .init(role: .assistant, text: answer)],
                                   extendedAnswers: [answer + " It is small."])
        }
    }

    /// A trainer on a fresh tiny model.
    static func trainer(_ configuration: TrainerConfiguration, _ examples: [TrainingExample], tokenizer: BPETokenizer) throws -> LocalTrainer {
        try LocalTrainer(model: model(tokenizer: tokenizer), tokenizer: tokenizer, configuration: configuration, examples: examples)
    }

    static func configuration(steps: Int, objectives: [TrainerConfiguration.Objective] = [.init(name: "ar")],
                              checkpointInterval: Int = 0) -> TrainerConfiguration {
        var configuration = TrainerConfiguration(steps: steps, batchSize: 8, learningRate: 1e-2, seed: 42)
        configuration.checkpointInterval = checkpointInterval
        configuration.objectives = objectives
        configuration.schedule = .constant
        configuration.maximumSequenceLength = 64
        configuration.loraRank = 8
        configuration.modulesToSave = ["multi_modal_projector", "lm_head"]
        // Two threads, so that each batch runs as two data-parallel shards (the site's default).
        configuration.threads = 2
        return configuration
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-training-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
