import ArgumentParser
import Foundation
import Model
import Reporting
import Training

/// `tessera train`: local LoRA fine-tuning with the objectives of a plan, as a site trains.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune LoRA adapters (and the projector) locally; writes a PEFT adapter and metrics.json.",
        discussion: """
            Data: LLaVA-Med instruct JSON (--data) and/or VQA JSON (--vqa: VQA-RAD, SLAKE or MedSynth layout), image \
            paths relative to each file or to --images; items a file's loader skips (SLAKE's non-English \
            questions, VQA-RAD's "NULL" answers) and fields it does not know are counted and printed. \
            Objectives: --objective ar (default), repeatable, NAME or NAME:WEIGHT (\(ObjectiveRegistry.names.joined(separator: ", "))). With \
            --checkpoint DIR a checkpoint is written every --checkpoint-every steps and an existing one is \
            resumed, so a killed run continues to the same bits; one written with another seed, batch \
            size or data is refused, naming what differs. LLaVA-Med records the chat template cannot \
            encode (a gpt turn first, <image> placeholders that do not match the image) are skipped and counted.
            """
    )

    @Option(help: "Base model directory (config.json, model.safetensors, tokenizer.json).")
    var model: String

    @Option(help: "LLaVA-Med instruct JSON file; repeat for several.")
    var data: [String] = []

    @Option(help: "VQA JSON file (VQA-RAD or SLAKE style), trained as one-turn conversations; repeat for several.")
    var vqa: [String] = []

    @Option(help: ArgumentHelp("Directory the data files' image paths are relative to (default: each file's directory; for VQA files "
                               + "also its imgs/, images/ and 'VQA_RAD Image Folder/').", valueName: "DIR"))
    var images: String?

    @Option(help: "PEFT adapter to start from (e.g. a round's global adapter).")
    var adapter: String?

    @Option(help: "Output directory for the adapter, objective parameters and metrics.json.")
    var out: String

    @Option(help: "Objective NAME or NAME:WEIGHT; repeat for several.")
    var objective: [String] = ["ar"]

    @Option(help: "Training steps.")
    var steps = 100

    @Option(help: "Examples per step.")
    var batchSize = 16

    @Option(help: "Peak learning rate.")
    var learningRate: Float = 1e-3

    @Option(help: "LoRA rank.")
    var loraRank = 8

    @Option(help: "LoRA alpha.")
    var loraAlpha: Float = 16

    @Flag(help: "FFA-LoRA: keep A as loaded (or initialised) and train only B.")
    var ffa = false

    @Option(help: "Steps of linear learning-rate warm-up (default: steps / 20).")
    var warmupSteps: Int?

    @Option(help: "Seed of the adapters, data order and dropout.")
    var seed: UInt64 = 0

    @Option(help: "Threads: each batch runs as this many data-parallel shards, one per thread (the same loss; the rounding, and the dropout masks, depend on it).")
    var threads = 2

    @Option(help: "Checkpoint directory (resumed when it holds a checkpoint).")
    var checkpoint: String?

    @Option(help: "Steps between checkpoints.")
    var checkpointEvery = 10

    func validate() throws {
        guard !data.isEmpty || !vqa.isEmpty else { throw ValidationError("give --data, --vqa or both") }
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1") }
    }

    func run() throws {
        let directory = URL(fileURLWithPath: model)
        let llava = try LlavaModel.load(from: directory)
        if let adapter { try llava.loadAdapter(from: URL(fileURLWithPath: adapter)) }
        let tokenizer = try BPETokenizer(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        let imageSize = llava.configuration.vision.imageSize
        var loaded = ExampleLoader.Loaded()
        for file in data { loaded += try ExampleLoader.instructions(file: file, imageSize: imageSize, imageDirectory: images) }
        for file in vqa { loaded += try ExampleLoader.questions(vqaFile: file, imageSize: imageSize, imageDirectory: images) }
        for note in loaded.notes { print(note) }

        var configuration = TrainerConfiguration(steps: steps, batchSize: batchSize, learningRate: learningRate, seed: seed)
        configuration.objectives = try objective.map(Self.parseObjective)
        configuration.loraRank = loraRank
        configuration.loraAlpha = loraAlpha
        configuration.freezeA = ffa
        configuration.threads = threads
        configuration.warmupSteps = warmupSteps ?? TrainerConfiguration.defaultWarmupSteps(forSteps: steps)
        configuration.maximumSequenceLength = llava.configuration.imageTokensPerImage + 128
        configuration.checkpointInterval = checkpoint == nil ? 0 : checkpointEvery
        let trainer = try LocalTrainer(model: llava, tokenizer: tokenizer, configuration: configuration, examples: loaded.examples)
        try LocalTrainer.prepareOutputs(in: URL(fileURLWithPath: out))
        let checkpointURL = checkpoint.map { URL(fileURLWithPath: $0) }
        if let checkpointURL, LocalTrainer.hasCheckpoint(in: checkpointURL) {
            try trainer.resume(from: checkpointURL)
        }
        let progress = ProgressLine()
        var last: LocalTrainer.StepRecord?
        let start = DispatchTime.now().uptimeNanoseconds
        try trainer.train(checkpointDirectory: checkpointURL) { record in
            progress.update(stage: "train", record: record, total: steps)
            last = record
        }
        progress.finish()
        var metrics: [String: Double] = ["seconds": Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9]
        if let last {
            metrics["loss"] = Double(last.loss)
            metrics["tokens_per_second"] = last.tokensPerSecond
            for (key, value) in last.components { metrics["loss." + key] = Double(value) }
        }
        try trainer.saveOutputs(to: URL(fileURLWithPath: out), metrics: metrics, checkpoint: checkpointURL)
        print("wrote the adapter of \(trainer.step) steps on \(trainer.distinctExamplesSeen) examples to \(out)")
    }

    /// `NAME` or `NAME:WEIGHT`.
    static func parseObjective(_ text: String) throws -> TrainerConfiguration.Objective {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard let name = parts.first, !name.isEmpty else { throw ValidationError("--objective \"\(text)\": expected NAME or NAME:WEIGHT") }
        guard parts.count == 2 else { return .init(name: name) }
        guard let weight = Float(parts[1]), weight >= 0 else { throw ValidationError("--objective \"\(text)\": the weight must be a non-negative number") }
        return .init(name: name, weight: weight)
    }
}
