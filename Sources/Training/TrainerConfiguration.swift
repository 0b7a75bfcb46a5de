/// Everything that shapes a local training run. Its fields are the training plan's
/// (ARCHITECTURE.md, "The training plan"), one to one, so a site maps a round's plan onto it
/// without choosing anything itself; `threads` and the checkpoint interval are the site's own.
public struct TrainerConfiguration: Sendable, Equatable {
    /// One objective of the weighted sum the trainer minimises.
    public struct Objective: Sendable, Equatable {
        /// `ar`, `infonce` (later `logra`, `selfquestion`, `dpo`).
        public var name: String
        public var weight: Float
        /// Objective-specific settings (e.g. `temperature` for `infonce`), as strings.
        public var options: [String: String]

        public init(name: String, weight: Float = 1, options: [String: String] = [:]) {
            self.name = name
            self.weight = weight
            self.options = options
        }
    }

    public enum Schedule: String, Sendable, Equatable {
        case cosine, constant
    }

    public var objectives: [Objective] = [Objective(name: "ar")]
    // schedule
    public var steps: Int
    /// Examples per optimizer step.
    public var batchSize: Int
    /// Equal micro-batches the batch is split into, one backward pass each. Each micro-batch
    /// weighs by its share of what the objective averages over (for `ar`, the batch's assistant
    /// tokens, counted before the step as transformers ≥ 4.46 does), so the step is the one a
    /// single pass over the whole batch takes, in less memory.
    public var gradientAccumulation = 1
    public var maximumSequenceLength = 512
    public var learningRate: Float
    public var schedule: Schedule = .cosine
    public var warmupSteps = 0
    /// The warm-up of a run of `steps` steps when nobody chose one: a twentieth of it (at least 1).
    /// `tessera train`, the base-model recipe and the benchmarks' one-run baselines use it, so a
    /// baseline's warm-up depends on its own length only, not on how a federated plan splits rounds.
    public static func defaultWarmupSteps(forSteps steps: Int) -> Int { Swift.max(1, steps / 20) }
    /// Global gradient-norm clip; nil for none.
    public var gradientClipNorm: Float? = 1
    // optimizer (AdamW; its state starts fresh each run)
    public var betas: (Float, Float) = (0.9, 0.999)
    public var epsilon: Float = 1e-8
    public var weightDecay: Float = 0
    // randomness
    public var seed: UInt64
    // LoRA
    public var loraRank = 8
    public var loraAlpha: Float = 16
    public var useRSLoRA = false
    public var loraDropout: Float = 0
    /// PEFT `target_modules`: a regular expression over module paths, or names matched as suffixes.
    public var targetModules: TargetModules = .pattern(#".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"#)
    public var modulesToSave: [String] = ["multi_modal_projector"]
    /// FFA-LoRA: A stays as loaded (the round-0 global adapter), only B trains.
    public var freezeA = false
    // local runs only (pretraining stages; never in a federated plan)
    /// Module paths trained in full instead of LoRA (e.g. `model.language_model`, `lm_head`); when
    /// non-empty no adapters are added and the LoRA fields are unused.
    public var fullyTrainedModules: [String] = []
    // the site's own
    /// Threads: each (micro-)batch runs as this many data-parallel shards, one per thread (fewer
    /// for a smaller batch, one when an objective needs whole batches). The loss is the same; the
    /// rounding, and the dropout masks of shards after the first, depend on it.
    public var threads = 2
    /// Steps between checkpoints (0: only at the end).
    public var checkpointInterval = 0

    public enum TargetModules: Sendable, Equatable {
        case names([String])
        case pattern(String)
    }

    public init(steps: Int, batchSize: Int, learningRate: Float, seed: UInt64) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seed = seed
    }

    public static func == (lhs: TrainerConfiguration, rhs: TrainerConfiguration) -> Bool {
        lhs.objectives == rhs.objectives && lhs.steps == rhs.steps && lhs.batchSize == rhs.batchSize
            && lhs.gradientAccumulation == rhs.gradientAccumulation && lhs.maximumSequenceLength == rhs.maximumSequenceLength
            && lhs.learningRate == rhs.learningRate && lhs.schedule == rhs.schedule && lhs.warmupSteps == rhs.warmupSteps
            && lhs.gradientClipNorm == rhs.gradientClipNorm && lhs.betas == rhs.betas && lhs.epsilon == rhs.epsilon
            && lhs.weightDecay == rhs.weightDecay && lhs.seed == rhs.seed && lhs.loraRank == rhs.loraRank
            && lhs.loraAlpha == rhs.loraAlpha && lhs.useRSLoRA == rhs.useRSLoRA && lhs.loraDropout == rhs.loraDropout
            && lhs.targetModules == rhs.targetModules && lhs.modulesToSave == rhs.modulesToSave && lhs.freezeA == rhs.freezeA
            && lhs.fullyTrainedModules == rhs.fullyTrainedModules && lhs.threads == rhs.threads && lhs.checkpointInterval == rhs.checkpointInterval
    }
}
