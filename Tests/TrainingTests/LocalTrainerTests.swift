import Foundation
import Model
import Tensor
import TestSupport
@testable import Training
import Testing

struct LocalTrainerTests {
    /// The AR objective overfits a batch of 8 on the tiny preset: the loss falls from ≈ log V to
    /// below 0.5 in 40 steps (the answers' side word is the only thing to learn from the image).
    /// lm_head trains too (modules_to_save): a randomly initialised base's lm_head (N(0, 0.02))
    /// cannot express confident predictions through adapters alone, unlike a pretrained one.
    @Test func autoregressiveObjectiveOverfitsABatch() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let model = TrainingFixtures.model(tokenizer: tokenizer)
        let trainer = try LocalTrainer(model: model, tokenizer: tokenizer, configuration: TrainingFixtures.configuration(steps: 40),
                                       examples: TrainingFixtures.examples(count: 8, imageSize: 16))
        var losses: [Float] = []
        try trainer.train { losses.append($0.loss) }
        print("AR overfit: first loss \(losses[0]), last \(losses[losses.count - 1])")
        #expect(losses[0] > 3)
        #expect((losses.last ?? .infinity) < 0.5)
        #expect(trainer.distinctExamplesSeen == 8)
    }

    /// AR + InfoNCE through configuration alone: both components fall, and the objective's own
    /// parameter (the learned temperature) is trained and saved beside the adapter.
    @Test func secondObjectivePlugsInThroughConfiguration() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let model = TrainingFixtures.model(tokenizer: tokenizer)
        let configuration = TrainingFixtures.configuration(steps: 40, objectives: [
            .init(name: "ar"), .init(name: "infonce", weight: 0.5, options: ["temperature": "0.1"]),
        ])
        let trainer = try LocalTrainer(model: model, tokenizer: tokenizer, configuration: configuration,
                                       examples: TrainingFixtures.examples(count: 8, imageSize: 16))
        var records: [LocalTrainer.StepRecord] = []
        try trainer.train { records.append($0) }
        let first = records[0].components, last = records[records.count - 1].components
        print("AR+InfoNCE: first \(first), last \(last)")
        #expect((last["ar"] ?? .infinity) < 0.5)
        #expect((last["infonce"] ?? .infinity) < (first["infonce"] ?? 0))
        let output = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        try trainer.saveOutputs(to: output, metrics: ["loss": Double(records[records.count - 1].loss)])
        let parameters = try SafetensorsFile(contentsOf: output.appendingPathComponent("objective_params.safetensors"))
        #expect(parameters.names == ["tessera.objective.infonce.logit_scale"])
        #expect(try parameters.floats("tessera.objective.infonce.logit_scale") != [Float(log(10.0))])
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("adapter_model.safetensors").path))
    }

    /// Stopping at a checkpoint and resuming gives bit-identical tensors to an uninterrupted run.
    @Test func resumedRunIsBitIdentical() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let examples = TrainingFixtures.examples(count: 12, imageSize: 16)
        var configuration = TrainingFixtures.configuration(steps: 6, objectives: [.init(name: "ar"), .init(name: "infonce"), .init(name: "words", weight: 0.5)])
        configuration.checkpointInterval = 3
        configuration.loraDropout = 0.1
        configuration.schedule = .cosine
        let uninterrupted = try TrainingFixtures.trainer(configuration, examples, tokenizer: tokenizer)
        try uninterrupted.train()

        let checkpoint = try TrainingFixtures.temporaryDirectory().appendingPathComponent("checkpoint")
        defer { try? FileManager.default.removeItem(at: checkpoint.deletingLastPathComponent()) }
        let interrupted = try TrainingFixtures.trainer(configuration, examples, tokenizer: tokenizer)
        try interrupted.train(checkpointDirectory: checkpoint, stoppingAt: 3)
        let resumed = try TrainingFixtures.trainer(configuration, examples, tokenizer: tokenizer)
        try resumed.resume(from: checkpoint)
        #expect(resumed.step == 3)
        try resumed.train()
        let identical = resumed.parameters.map { $0.tensor.values.map(\.bitPattern) }
            == uninterrupted.parameters.map { $0.tensor.values.map(\.bitPattern) }
        #expect(identical)
        #expect(resumed.parameters.map(\.name) == uninterrupted.parameters.map(\.name))
    }

    /// Two micro-batches give the gradient of one pass over the whole batch: each weighs by its
    /// share of the batch's answer tokens (answers of 1 to 8 sentences here), not equally.
    @Test func gradientAccumulationTakesTheWholeBatchStep() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        var examples = TrainingFixtures.examples(count: 8, imageSize: 16)
        for index in examples.indices {
            examples[index].turns[1].text = Array(repeating: "The nodule is small.", count: index + 1).joined(separator: " ")
        }
        func gradients(accumulation: Int) throws -> [[Float]] {
            var configuration = TrainingFixtures.configuration(steps: 1)
            configuration.gradientAccumulation = accumulation
            configuration.maximumSequenceLength = 128
            let trainer = try TrainingFixtures.trainer(configuration, examples, tokenizer: tokenizer)
            try trainer.train()
            return trainer.parameters.map { $0.tensor.grad ?? [] }
        }
        let whole = try gradients(accumulation: 1), accumulated = try gradients(accumulation: 2)
        let scale = whole.flatMap { $0 }.map(abs).max() ?? 0
        let worst = Float(largestDifference(whole.flatMap { $0 }, accumulated.flatMap { $0 }))
        #expect(whole.count == accumulated.count && scale > 0 && worst < 1e-5 * scale, "largest difference \(worst), largest gradient \(scale)")
    }

    /// A checkpoint only resumes the run it belongs to: the same batch size and the same list of
    /// examples (the batches are positions in it), else the error says which.
    @Test func checkpointOfOtherDataIsRefused() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let examples = TrainingFixtures.examples(count: 8, imageSize: 16)
        var configuration = TrainingFixtures.configuration(steps: 2, checkpointInterval: 1)
        let directory = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("checkpoint")
        let first = try TrainingFixtures.trainer(configuration, examples, tokenizer: tokenizer)
        try first.train(checkpointDirectory: checkpoint, stoppingAt: 1)
        let state = checkpoint.appendingPathComponent("trainer_state.json").path

        let fewer = try TrainingFixtures.trainer(configuration, Array(examples.dropLast()), tokenizer: tokenizer)
        #expect(throws: TrainingError.checkpointOfOtherRun(
            file: state, reason: "written for other training data (fingerprint \(first.dataFingerprint)); this run's 7 examples give \(fewer.dataFingerprint)")) {
            try fewer.resume(from: checkpoint)
        }
        configuration.batchSize = 4
        let smaller = try TrainingFixtures.trainer(configuration, examples, tokenizer: tokenizer)
        #expect(throws: TrainingError.checkpointOfOtherRun(file: state, reason: "batch size 8, this run's is 4")) {
            try smaller.resume(from: checkpoint)
        }
    }

    /// A kill between the checkpoint's two renames leaves the previous checkpoint in `.old` and the
    /// new, complete one in `.partial`: resuming finds the new one, and the error of a later bad
    /// step names it.
    @Test func resumesFromACheckpointSwapCutShort() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let examples = TrainingFixtures.examples(count: 8, imageSize: 16)
        let configuration = TrainingFixtures.configuration(steps: 3, checkpointInterval: 1)
        let directory = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("checkpoint")
        let old = directory.appendingPathComponent("checkpoint.old"), staged = directory.appendingPathComponent("checkpoint.partial")
        let trainer = try TrainingFixtures.trainer(configuration, examples, tokenizer: tokenizer)
        let stepOne = directory.appendingPathComponent("step-1")
        try trainer.train(checkpointDirectory: checkpoint, stoppingAt: 1)
        try FileManager.default.copyItem(at: checkpoint, to: stepOne)
        try trainer.train(checkpointDirectory: checkpoint, stoppingAt: 2)
        // As a kill right after the first rename leaves them: step 1 in .old, step 2 still staged.
        try FileManager.default.moveItem(at: checkpoint, to: staged)
        try FileManager.default.moveItem(at: stepOne, to: old)

        #expect(LocalTrainer.hasCheckpoint(in: checkpoint))
        let model = TrainingFixtures.model(tokenizer: tokenizer)
        let resumed = try LocalTrainer(model: model, tokenizer: tokenizer, configuration: configuration, examples: examples)
        try resumed.resume(from: checkpoint)
        #expect(resumed.step == 2)
        let projector = try #require(model.parameters["model.multi_modal_projector.linear_1.bias"])
        projector.values[0] = .nan
        #expect(throws: TrainingError.nonFiniteLoss(step: 3, component: "ar", lastCheckpoint: checkpoint.path)) { try resumed.train() }

        // The NaN step wrote nothing: the checkpoint it names still resumes at step 2, with step 2's
        // values (no NaN among them), and an infinite value stops the same way.
        let fresh = TrainingFixtures.model(tokenizer: tokenizer)
        let again = try LocalTrainer(model: fresh, tokenizer: tokenizer, configuration: configuration, examples: examples)
        try again.resume(from: checkpoint)
        #expect(again.step == 2)
        #expect(again.parameters.allSatisfy { $0.tensor.values.allSatisfy(\.isFinite) })
        let bias = try #require(fresh.parameters["model.multi_modal_projector.linear_1.bias"])
        bias.values[0] = .infinity
        #expect(throws: TrainingError.nonFiniteLoss(step: 3, component: "ar", lastCheckpoint: checkpoint.path)) { try again.train() }
    }

    /// A checkpoint that cannot be written is named with the operating system's reason, not
    /// Foundation's wording, and leaves nothing behind.
    @Test func checkpointWriteFailureNamesTheSystemReason() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let trainer = try TrainingFixtures.trainer(TrainingFixtures.configuration(steps: 1), TrainingFixtures.examples(count: 2, imageSize: 16),
                                                   tokenizer: tokenizer)
        let directory = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let notADirectory = directory.appendingPathComponent("state")
        try Data("a file where a directory belongs".utf8).write(to: notADirectory)
        let checkpoint = notADirectory.appendingPathComponent("checkpoint")
        #expect(throws: TrainingError.checkpointWriteFailed(directory: checkpoint.path, reason: "Not a directory")) {
            try trainer.saveCheckpoint(to: checkpoint)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["state"])
    }

    /// The outputs on a full disk (a 1 MB tmpfs): the exact error with the system's reason, naming
    /// the checkpoint that holds the run; the previous outputs there unchanged and nothing staged
    /// left behind; then, with room again, the new outputs in full.
    @Test func outputsOnAFullDiskChangeNothingAndNameTheCheckpoint() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let configuration = TrainingFixtures.configuration(steps: 2, checkpointInterval: 1)
        let trainer = try TrainingFixtures.trainer(configuration, TrainingFixtures.examples(count: 4, imageSize: 16), tokenizer: tokenizer)
        let directory = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("checkpoint")
        let out = directory.appendingPathComponent("out")
        guard let disk = try FullDisk.mount(over: out, test: "training outputs full-disk test") else { return }
        defer { disk.unmount() }
        func outputs() throws -> [String: Data] {
            let names = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0 != "filler" }
            return try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: out.appendingPathComponent($0))) })
        }

        try trainer.train(checkpointDirectory: checkpoint, stoppingAt: 1)
        try trainer.saveOutputs(to: out, metrics: [:])
        let afterStepOne = try outputs()
        #expect(afterStepOne.keys.sorted() == ["adapter_config.json", "adapter_model.safetensors", "metrics.json"])
        try trainer.train(checkpointDirectory: checkpoint)
        try disk.fill()
        #expect(throws: TrainingError.outputWriteFailed(directory: out.path, reason: "No space left on device", checkpoint: checkpoint.path)) {
            try trainer.saveOutputs(to: out, metrics: [:], checkpoint: checkpoint)
        }
        #expect(try outputs() == afterStepOne)

        try disk.makeRoom()
        try trainer.saveOutputs(to: out, metrics: [:], checkpoint: checkpoint)
        let written = try outputs()
        #expect(written.keys.sorted() == afterStepOne.keys.sorted())
        #expect(written["adapter_model.safetensors"] != afterStepOne["adapter_model.safetensors"])
        let metrics = try JSONSerialization.jsonObject(with: written["metrics.json"] ?? Data()) as? [String: Double]
        #expect(metrics?["steps"] == 2)
    }

    /// An output path that cannot be a directory fails before training, with the system's reason.
    @Test func outputsThatCannotBeWrittenFailBeforeTraining() throws {
        let directory = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("out")
        try Data("a file where the outputs belong".utf8).write(to: file)
        #expect(throws: TrainingError.outputWriteFailed(directory: file.path, reason: "Not a directory", checkpoint: nil)) {
            try LocalTrainer.prepareOutputs(in: file)
        }
        #expect(try Data(contentsOf: file) == Data("a file where the outputs belong".utf8))
    }

    @Test func rejectsConfigurationsAndDataItCannotTrainOn() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let examples = TrainingFixtures.examples(count: 4, imageSize: 16)
        func make(_ configuration: TrainerConfiguration, _ examples: [TrainingExample]) throws {
            _ = try TrainingFixtures.trainer(configuration, examples, tokenizer: tokenizer)
        }
        #expect(throws: TrainingError.unknownObjective(name: "logra", known: ["ar", "infonce", "words"])) {
            try make(TrainingFixtures.configuration(steps: 1, objectives: [.init(name: "logra")]), examples)
        }
        var textOnly = examples
        textOnly[2].pixels = nil
        #expect(throws: TrainingError.missingField(objective: "infonce", field: "image", example: "case-2")) {
            try make(TrainingFixtures.configuration(steps: 1, objectives: [.init(name: "infonce")]), textOnly)
        }
        var accumulated = TrainingFixtures.configuration(steps: 1, objectives: [.init(name: "infonce")])
        accumulated.gradientAccumulation = 2
        #expect(throws: TrainingError.invalidConfiguration(field: "gradient_accumulation", reason: "must be 1: objective infonce needs whole batches")) {
            try make(accumulated, examples)
        }
        accumulated.gradientAccumulation = 3
        #expect(throws: TrainingError.invalidConfiguration(field: "gradient_accumulation", reason: "must divide the batch size 8, got 3")) {
            try make(accumulated, examples)
        }
        #expect(throws: TrainingError.invalidObjectiveOption(objective: "infonce", option: "temperature", value: "-1", expected: "a positive number")) {
            try make(TrainingFixtures.configuration(steps: 1, objectives: [.init(name: "infonce", options: ["temperature": "-1"])]), examples)
        }
        #expect(throws: TrainingError.emptyDataset) { try make(TrainingFixtures.configuration(steps: 1), []) }
    }

    /// A NaN loss stops training before the update, naming the step; the model keeps its values.
    @Test func stopsOnNonFiniteLossWithoutApplyingTheStep() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let model = TrainingFixtures.model(tokenizer: tokenizer)
        let trainer = try LocalTrainer(model: model, tokenizer: tokenizer, configuration: TrainingFixtures.configuration(steps: 3),
                                       examples: TrainingFixtures.examples(count: 8, imageSize: 16))
        let projector = try #require(model.parameters["model.multi_modal_projector.linear_1.bias"])
        projector.values[0] = .nan
        let before = trainer.parameters.map { $0.tensor.values.map(\.bitPattern) }
        #expect(throws: TrainingError.nonFiniteLoss(step: 1, component: "ar", lastCheckpoint: nil)) { try trainer.train() }
        let unchanged = trainer.parameters.map { $0.tensor.values.map(\.bitPattern) } == before
        #expect(unchanged)
    }
}

extension LocalTrainerTests {
    /// Pretraining stages train whole modules: only they change, and the output is a full model.
    @Test func trainsWholeModulesWhenAsked() throws {
        let tokenizer = try TrainingFixtures.tokenizer()
        let model = TrainingFixtures.model(tokenizer: tokenizer)
        var configuration = TrainingFixtures.configuration(steps: 3)
        configuration.fullyTrainedModules = ["model.multi_modal_projector", "lm_head"]
        let frozen = try #require(model.parameters["model.language_model.norm.weight"]).values
        let projector = try #require(model.parameters["model.multi_modal_projector.linear_1.weight"]).values
        let trainer = try LocalTrainer(model: model, tokenizer: tokenizer, configuration: configuration,
                                       examples: TrainingFixtures.examples(count: 8, imageSize: 16))
        try trainer.train()
        #expect(model.lora == nil)
        #expect(try #require(model.parameters["model.language_model.norm.weight"]).values == frozen)
        #expect(try #require(model.parameters["model.multi_modal_projector.linear_1.weight"]).values != projector)
        let output = try TrainingFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        try trainer.saveOutputs(to: output, metrics: [:])
        #expect(try LlavaModel.load(from: output).parameterCount == model.parameterCount)
        configuration.fullyTrainedModules = ["model.no_such_module"]
        #expect(throws: TrainingError.invalidConfiguration(field: "fully_trained_modules", reason: "[\"model.no_such_module\"] match no parameter of the model")) {
            _ = try TrainingFixtures.trainer(configuration, TrainingFixtures.examples(count: 8, imageSize: 16), tokenizer: tokenizer)
        }
    }
}

extension LocalTrainerTests {
    /// With two threads each batch runs as two data-parallel shards, each shard's loss weighed by
    /// its share of the answer tokens: the same losses and parameters as the whole batch on one
    /// thread, to rounding, although the shards' answers differ in length.
    @Test func dataParallelShardsTrainAsTheWholeBatch() throws {
        let examples = Self.mixedLengthExamples(count: 8, longest: 3)
        let whole = try Self.threeSteps(examples, threads: 1, forwardPassSize: 16)
        let sharded = try Self.threeSteps(examples, threads: 2, forwardPassSize: 16)
        print("losses on one thread \(whole.losses), as two shards \(sharded.losses)")
        Self.expectSameTraining(whole, sharded)
    }

    /// A batch of mixed lengths trained in forward passes of 8 by length (three per step) follows
    /// the same losses and parameters as one pass padded to its longest.
    @Test func forwardPassesByLengthTrainAsOnePaddedBatch() throws {
        let examples = Self.mixedLengthExamples(count: 24, longest: 5)
        let onePass = try Self.threeSteps(examples, threads: 1, forwardPassSize: 24)
        let passes = try Self.threeSteps(examples, threads: 1, forwardPassSize: 8)
        print("losses in one pass \(onePass.losses), in passes of 8 \(passes.losses)")
        Self.expectSameTraining(onePass, passes)
    }

    /// The fixture's examples with answer `i` said `1 + i % longest` times, so lengths differ.
    static func mixedLengthExamples(count: Int, longest: Int) -> [TrainingExample] {
        TrainingFixtures.examples(count: count, imageSize: 16).enumerated().map { index, example in
            var example = example
            example.turns[1].text = Array(repeating: example.turns[1].text, count: 1 + index % longest).joined(separator: " ")
            return example
        }
    }

    /// The losses and final parameters of 3 steps on `examples` as one batch.
    static func threeSteps(_ examples: [TrainingExample], threads: Int, forwardPassSize: Int) throws -> (losses: [Float], parameters: [[Float]]) {
        let tokenizer = try TrainingFixtures.tokenizer()
        var configuration = TrainingFixtures.configuration(steps: 3)
        configuration.batchSize = examples.count
        configuration.maximumSequenceLength = 160
        configuration.threads = threads
        let trainer = try TrainingFixtures.trainer(configuration, examples, tokenizer: tokenizer)
        trainer.forwardPassSize = forwardPassSize
        var losses: [Float] = []
        try trainer.train { losses.append($0.loss) }
        return (losses, trainer.parameters.map(\.tensor.values))
    }

    /// Losses equal to 1e-5 relative and parameters to 1e-4.
    static func expectSameTraining(_ a: (losses: [Float], parameters: [[Float]]), _ b: (losses: [Float], parameters: [[Float]])) {
        for (x, y) in zip(a.losses, b.losses) {
            #expect(abs(y - x) <= 1e-5 * abs(x))
        }
        for (x, y) in zip(a.parameters, b.parameters) {
            #expect(largestDifference(x, y) < 1e-4)
        }
    }
}
