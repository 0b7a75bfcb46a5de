import Foundation
import Model
import Tensor

/// Builds a base model for a CPU preset from public data, following the LLaVA recipe
/// (ARCHITECTURE.md, "Model family"; issue 9):
///
/// 0. a byte-level BPE vocabulary trained on the corpus (`tokenizer.json`);
/// 1. the language model: next-token training on reports and conversations, text only;
/// 2. the vision tower: CLIP-style symmetric InfoNCE between images and their reports, the text side
///    being the language model's pooled states (frozen after stage 1), the image side the projected
///    patch features (tower and projector train);
/// 3. LLaVA stage 1: the projector alone, captioning images with their reports;
/// 4. LLaVA stage 2: instruction tuning on conversations, projector and language model in full.
///
/// (The language model comes before the vision tower so the contrastive stage has a text side that
/// already means something.) Each stage is a ``LocalTrainer`` run with its own checkpoint in the
/// work directory, so a killed build resumes where it stopped; finished stages are skipped.
public struct BaseModelRecipe: Sendable {
    /// One training stage.
    public struct Stage: Sendable {
        public var name: String
        public var steps: Int
        public var batchSize: Int
        public var learningRate: Float
        /// Module paths trained in full.
        public var trainedModules: [String]
        public var objectives: [TrainerConfiguration.Objective]
    }

    public var preset: ModelPreset
    public var seed: UInt64
    public var stages: [Stage]
    /// The longest sequence a stage trains on (image tokens included).
    public var maximumSequenceLength: Int

    /// The default schedule of a preset, sized to its time budget on two cores (demo ≤ 90 s, small
    /// about 12 minutes: over its 10-minute budget, which a 1,300-step instruction stage meets at a
    /// cost of 3.8 points of closed accuracy, README "bench train").
    public init(preset: ModelPreset, seed: UInt64 = 0) {
        self.preset = preset
        self.seed = seed
        let scale: Int
        switch preset {
        case .tiny: scale = 1
        case .demo: scale = 10
        case .small: scale = 30
        }
        // The instruction stage is where the base model learns to answer (README, "bench train"):
        // the small preset's runs twice the others' share, which took its base model from majority
        // + 9.6 and + 8.4 points of closed accuracy to + 11.0 and + 10.8 (900 against 1,800 steps,
        // recipe seeds 1 and 2).
        let instructionSteps = (preset == .small ? 60 : 30) * scale
        let language = ["model.language_model", "lm_head"]
        let projector = ["model.multi_modal_projector"]
        stages = [
            Stage(name: "language", steps: 15 * scale, batchSize: 16, learningRate: 3e-3, trainedModules: language,
                  objectives: [.init(name: "ar")]),
            Stage(name: "vision", steps: 15 * scale, batchSize: 16, learningRate: 2e-3,
                  trainedModules: ["model.vision_tower"] + projector,
                  objectives: [.init(name: "infonce", options: ["temperature": "0.1"])]),
            Stage(name: "projector", steps: 10 * scale, batchSize: 16, learningRate: 3e-3, trainedModules: projector,
                  objectives: [.init(name: "ar")]),
            Stage(name: "instruction", steps: instructionSteps, batchSize: 16, learningRate: 1e-3, trainedModules: language + projector,
                  objectives: [.init(name: "ar")]),
        ]
        maximumSequenceLength = preset.configuration.imageTokensPerImage + 96
    }

    /// The data of a recipe: report text per image, image–report pairs and conversations.
    public struct Data: Sendable {
        /// Texts for the vocabulary and the language stage (reports, conversation turns).
        public var corpus: [String]
        /// Images with one turn asking for the report and the report as the answer.
        public var captioned: [TrainingExample]
        /// Instruction conversations with images.
        public var instructions: [TrainingExample]

        public init(corpus: [String], captioned: [TrainingExample], instructions: [TrainingExample]) {
            self.corpus = corpus
            self.captioned = captioned
            self.instructions = instructions
        }
    }

    /// What a finished stage reports.
    public struct StageResult: Sendable {
        public var name: String
        public var steps: Int
        public var seconds: Double
        public var firstLoss: Float
        public var lastLoss: Float
    }

    /// Runs the recipe, writing `config.json`, `model.safetensors` and `tokenizer.json` into
    /// `output`; `workDirectory` keeps the per-stage checkpoints.
    /// - Throws: ``TrainingError`` and the model and tokenizer libraries' errors.
    public func build(data: Data, workDirectory: URL, output: URL,
                      onStep: (String, LocalTrainer.StepRecord) -> Void = { _, _ in }) throws -> [StageResult] {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        // Text without the image placeholder: the vocabulary must not learn it as text, and the
        // language stage has no images to put there.
        let corpus = data.corpus.map { $0.replacingOccurrences(of: "<image>", with: "").trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        let tokenizerFile = workDirectory.appendingPathComponent("tokenizer.json")
        let tokenizer: BPETokenizer
        if fileManager.fileExists(atPath: tokenizerFile.path) {
            tokenizer = try BPETokenizer(contentsOf: tokenizerFile)
        } else {
            tokenizer = try BPETrainer(vocabularySize: preset.configuration.text.vocabularySize,
                                       specialTokens: ["<unk>", "<s>", "</s>", "<image>"]).train(on: corpus)
            try tokenizer.write(to: tokenizerFile)
        }
        var configuration = preset.configuration
        configuration.text.vocabularySize = tokenizer.vocabularySize
        configuration.imageTokenIndex = tokenizer.imageTokenID ?? 3
        configuration.text.bosTokenID = tokenizer.beginningOfSequenceID ?? 1
        configuration.text.eosTokenID = tokenizer.endOfSequenceID ?? 2
        let model = LlavaModel(configuration: configuration)
        model.initializeWeights(seed: seed)

        let textOnly = corpus.enumerated().map { index, text in
            TrainingExample(id: "text-\(index)", pixels: nil,
                            turns: [.init(role: .human, text: "Write a medical report."), .init(role: .assistant, text: text)])
        }
        var results: [StageResult] = []
        for (index, stage) in stages.enumerated() {
            let stageDirectory = workDirectory.appendingPathComponent("stage-\(index + 1)-\(stage.name)")
            let examples: [TrainingExample]
            switch stage.name {
            case "language": examples = textOnly
            case "vision", "projector": examples = data.captioned
            default: examples = data.instructions
            }
            results.append(try run(stage, index: index, model: model, tokenizer: tokenizer, examples: examples,
                                   directory: stageDirectory, onStep: onStep))
        }
        try model.save(to: output)
        try tokenizer.write(to: output.appendingPathComponent("tokenizer.json"))
        return results
    }

    private func run(_ stage: Stage, index: Int, model: LlavaModel, tokenizer: BPETokenizer, examples: [TrainingExample],
                     directory: URL, onStep: (String, LocalTrainer.StepRecord) -> Void) throws -> StageResult {
        var configuration = TrainerConfiguration(steps: stage.steps, batchSize: stage.batchSize, learningRate: stage.learningRate,
                                                 seed: seed &+ UInt64(index) &* 0x9E37_79B9)
        configuration.objectives = stage.objectives
        configuration.fullyTrainedModules = stage.trainedModules
        configuration.maximumSequenceLength = maximumSequenceLength
        configuration.warmupSteps = TrainerConfiguration.defaultWarmupSteps(forSteps: stage.steps)
        configuration.weightDecay = 0.01
        configuration.checkpointInterval = Swift.max(1, stage.steps / 4)
        let trainer = try LocalTrainer(model: model, tokenizer: tokenizer, configuration: configuration, examples: examples)
        let checkpoint = directory.appendingPathComponent("checkpoint")
        if LocalTrainer.hasCheckpoint(in: checkpoint) { try trainer.resume(from: checkpoint) }
        let start = DispatchTime.now().uptimeNanoseconds
        var first: Float?, last: Float = .nan
        try trainer.train(checkpointDirectory: checkpoint) { record in
            if first == nil { first = record.loss }
            last = record.loss
            onStep(stage.name, record)
        }
        return StageResult(name: stage.name, steps: stage.steps, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                           firstLoss: first ?? last, lastLoss: last)
    }
}
