import Datasets
import Foundation
import Model
import PlanBinding
import Protocols
import Security
import Tensor
import Training

/// One round's work at a site, with no network: put the global adapter on the base model, train
/// exactly as the plan says (resuming from a checkpoint), evaluate on the site's test split, and
/// build the update from the plan's upload tensors alone. `tessera-site run` and `train --once`
/// both use it.
public struct LocalRound: Sendable {
    public var plan: TrainingPlan
    public var round: Int
    public var baseDirectory: URL
    public var baseDigest: SHA256.Digest
    public var data: SiteData
    public var threads: Int
    public var privacyGuard: PrivacyGuard
    /// Where the trainer checkpoints (and resumes from); nil for none.
    public var checkpointDirectory: URL?
    /// A JSON line per step is appended here when set (the last loss survives a restart).
    public var trainingLog: URL?

    /// Steps between checkpoints; a stop request is honoured at these boundaries.
    public static let checkpointInterval = 10

    /// What a round produced.
    public struct Outcome: Sendable {
        /// The update, checked by the privacy guard, not yet encoded.
        public var container: DeltaContainer
        /// `train.loss`, `train.steps`, `eval.items`, `eval.closed_accuracy`, `eval.open_recall`.
        public var metrics: [String: Double]
        /// The data loaders' notes on items skipped and fields not recognised, a line per file.
        public var dataNotes: [String]
    }

    public init(plan: TrainingPlan, round: Int, baseDirectory: URL, baseDigest: SHA256.Digest, data: SiteData, threads: Int,
                privacyGuard: PrivacyGuard, checkpointDirectory: URL? = nil, trainingLog: URL? = nil) {
        self.plan = plan
        self.round = round
        self.baseDirectory = baseDirectory
        self.baseDigest = baseDigest
        self.data = data
        self.threads = threads
        self.privacyGuard = privacyGuard
        self.checkpointDirectory = checkpointDirectory
        self.trainingLog = trainingLog
    }

    /// Trains, evaluates and builds the update.
    /// - Parameters:
    ///   - globalAdapter: the round's global adapter (the plan's global tensors); nil starts from
    ///     round 0's adapter, initialised from the plan's seed.
    ///   - onStep: called after each step.
    ///   - shouldStop: asked at each checkpoint boundary; true ends the run with `CancellationError`
    ///     (the checkpoint is on disk, so a later run resumes there).
    /// - Throws: ``PrivacyGuardError`` and `TrainingPlanError` for a plan this site refuses,
    ///   `PlanBindingError`, `ModelError`, `TrainingError`, `DatasetError`, `CancellationError`.
    public func run(globalAdapter: [NamedTensor]?, onStep: (LocalTrainer.StepRecord) -> Void = { _ in },
                    shouldStop: () -> Bool = { false }) throws -> Outcome {
        let model = try LlavaModel.load(from: baseDirectory)
        try privacyGuard.checkPlan(plan, base: model.baseModelDescription)
        if let globalAdapter {
            try model.applyGlobalAdapter(globalAdapter, plan: plan)
        } else {
            _ = try model.initialGlobalAdapter(plan: plan)
        }
        let tokenizer = try BPETokenizer(contentsOf: baseDirectory.appendingPathComponent("tokenizer.json"))
        let loaded = try data.trainingExamples(imageSize: model.configuration.vision.imageSize, kinds: try plan.labelledExamples())
        let configuration = try plan.trainerConfiguration(round: round, site: privacyGuard.site, threads: threads,
                                                          checkpointInterval: checkpointDirectory == nil ? 0 : Self.checkpointInterval)
        let trainer = try LocalTrainer(model: model, tokenizer: tokenizer, configuration: configuration, examples: loaded.examples)
        if let globalAdapter { try trainer.startObjectives(from: globalAdapter) }
        var notes = loaded.notes
        if let checkpointDirectory, LocalTrainer.hasCheckpoint(in: checkpointDirectory) {
            do {
                try trainer.resume(from: checkpointDirectory)
            } catch let TrainingError.checkpointOfOtherRun(_, reason), let TrainingError.checkpointMismatch(_, reason) {
                // The site's data changed since the checkpoint (images added or removed), so the
                // round's draws differ; or the checkpoint is damaged (a power loss can leave its
                // files cut short). Either way the round starts over: mixing the two would be
                // wrong, and retrying the same checkpoint would fail forever.
                try FileManager.default.removeItem(at: checkpointDirectory)
                notes.append("the round's checkpoint cannot be resumed (\(reason)); training the round from its start")
            }
        }
        let log = try trainingLog.map { try TrainingLog($0) }
        var lastLoss = log?.loss(atStep: configuration.steps)
        while trainer.step < configuration.steps {
            if shouldStop() { throw CancellationError() }
            let stop = min(configuration.steps, (trainer.step / Self.checkpointInterval + 1) * Self.checkpointInterval)
            try trainer.train(checkpointDirectory: checkpointDirectory, stoppingAt: stop) { record in
                onStep(record)
                log?.append(record)
                if record.step == configuration.steps { lastLoss = record.loss }
            }
        }
        // A stop asked for during the last steps comes before the evaluation (the last step's
        // checkpoint is written; a restart evaluates from it).
        if checkpointDirectory != nil, shouldStop() { throw CancellationError() }

        var metrics = ["train.steps": Double(configuration.steps)]
        if let lastLoss { metrics["train.loss"] = Double(lastLoss) }
        for (name, value) in try data.evaluate(model: model, tokenizer: tokenizer, threads: threads).metrics { metrics[name] = value }
        let container = DeltaContainer(
            header: .init(round: round, site: privacyGuard.site, baseDigest: baseDigest, sampleCount: trainer.distinctExamplesSeen,
                          encoding: plan.wire.encoding, metrics: metrics),
            tensors: try trainer.adapterTensors(plan.tensors.upload))
        try privacyGuard.checkContainer(container, plan: plan, round: round, baseDigest: baseDigest)
        return Outcome(container: container, metrics: metrics, dataNotes: notes)
    }
}

/// Training steps as JSON lines, appended as they happen (not synced: a lost line only loses a
/// metric); read back for the last step's loss after a restart.
private final class TrainingLog {
    let url: URL

    init(_ url: URL) throws {
        self.url = url
        try AtomicFile.createDirectory(url.deletingLastPathComponent())
    }

    func append(_ record: LocalTrainer.StepRecord) {
        // try?: the log is informational; training goes on without it.
        guard let line = try? JSONEncoder().encode(record) else { return }
        if let handle = FileHandle(forWritingAtPath: url.path) {
            defer { try? handle.close() }
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: line + Data("\n".utf8))
        } else {
            try? (line + Data("\n".utf8)).write(to: url)
        }
    }

    /// The loss logged for `step`, if a line for it survived.
    func loss(atStep step: Int) -> Float? {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }  // no log yet
        let decoder = JSONDecoder()
        return text.split(separator: "\n").compactMap { try? decoder.decode(LocalTrainer.StepRecord.self, from: Data($0.utf8)) }
            .last { $0.step == step }?.loss
    }
}
