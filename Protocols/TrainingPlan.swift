import Foundation

/// Every input that shapes what a site trains in a round, so no site picks its own
/// (ARCHITECTURE.md, "The training plan"). The aggregator publishes it in ``RoundStatus``; the
/// site maps it one-to-one onto its trainer's configuration.
///
/// JSON form (keys as below, snake_case; TOML campaign files use the same names):
/// ```json
/// {"protocol_version": 1,
///  "objectives": [{"name": "ar", "weight": 1, "options": {}}],
///  "schedule": {"steps": 100, "batch_size": 8, "gradient_accumulation": 1,
///               "max_sequence_length": 256, "learning_rate": 0.0002,
///               "learning_rate_schedule": "cosine", "warmup_steps": 10, "gradient_clip_norm": 1},
///  "optimizer": {"betas": [0.9, 0.999], "epsilon": 1e-08, "weight_decay": 0},
///  "randomness": {"campaign_seed": 7},
///  "lora": {"r": 16, "alpha": 32, "use_rslora": false, "dropout": 0.05,
///           "target_modules": ["q_proj", "v_proj"], "modules_to_save": ["multi_modal_projector"],
///           "ffa": false},
///  "tensors": {"upload": [{"name": …, "shape": [16, 64], "dtype": "BF16"}, …], "global": […]},
///  "wire": {"encoding": "bf16", "maximum_upload_bytes": 67108864},
///  "round": {"strategy": "fedavg", "strategy_options": {}, "step_norm": {"bound": 10, "on_exceed": "clip"},
///            "quorum": 3, "deadline_seconds": 3600, "allow_replacement": true}}
/// ```
/// Decoding validates (``validate()``) and rejects unknown fields (see ``ProtocolVersion``);
/// every failure is a ``TrainingPlanError`` naming the field. `gradient_clip_norm` and `step_norm`
/// may be absent (no clipping, no bound).
public struct TrainingPlan: Codable, Equatable, Sendable {
    public var protocolVersion: Int
    /// The losses, `ar` (autoregressive) first; the total loss is `Σ weight · objective`.
    public var objectives: [Objective]
    public var schedule: Schedule
    public var optimizer: Optimizer
    public var randomness: Randomness
    public var lora: LoRA
    public var tensors: Tensors
    public var wire: Wire
    public var round: Round

    /// A plan, validated.
    /// - Throws: ``TrainingPlanError`` for the first rule the fields break (see ``validate()``).
    public init(objectives: [Objective], schedule: Schedule, optimizer: Optimizer, randomness: Randomness,
                lora: LoRA, tensors: Tensors, wire: Wire, round: Round) throws {
        protocolVersion = ProtocolVersion.current
        self.objectives = objectives
        self.schedule = schedule
        self.optimizer = optimizer
        self.randomness = randomness
        self.lora = lora
        self.tensors = tensors
        self.wire = wire
        self.round = round
        try validate()
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case protocolVersion = "protocol_version", objectives, schedule, optimizer, randomness, lora, tensors, wire, round
    }

    /// Decodes, then rejects an unsupported version (checked first, so an old site says "upgrade"
    /// rather than naming a field), unknown fields and invalid values.
    /// - Throws: ``TrainingPlanError``, or `DecodingError` for a missing field or wrong JSON type
    ///   (``decode(json:)`` turns those into ``TrainingPlanError/malformed(path:reason:)``).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        protocolVersion = try container.decode(Int.self, forKey: .protocolVersion)
        guard protocolVersion == ProtocolVersion.current else {
            throw TrainingPlanError.unsupportedProtocolVersion(found: protocolVersion, expected: ProtocolVersion.current)
        }
        objectives = try container.decode([Objective].self, forKey: .objectives)
        schedule = try container.decode(Schedule.self, forKey: .schedule)
        optimizer = try container.decode(Optimizer.self, forKey: .optimizer)
        randomness = try container.decode(Randomness.self, forKey: .randomness)
        lora = try container.decode(LoRA.self, forKey: .lora)
        tensors = try container.decode(Tensors.self, forKey: .tensors)
        wire = try container.decode(Wire.self, forKey: .wire)
        round = try container.decode(Round.self, forKey: .round)

        // Unknown fields: whatever the input has that encoding the decoded plan does not produce.
        let input = try JSONValue(from: decoder)
        let known = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(self))
        if let path = input.keyPaths(missingFrom: known).first {
            throw TrainingPlanError.unknownField(path: path)
        }
        try validate()
    }

    /// A plan from its JSON bytes, with every failure as a ``TrainingPlanError``.
    /// - Throws: ``TrainingPlanError``.
    public static func decode(json: Data) throws -> TrainingPlan {
        do {
            return try WireJSON.decode(TrainingPlan.self, from: json)
        } catch let error as TrainingPlanError {
            throw error
        } catch let error as DecodingError {
            throw TrainingPlanError(error)
        } catch {
            throw TrainingPlanError.malformed(path: "", reason: "\(error)")
        }
    }
}

extension TrainingPlan {
    /// One loss term: `weight · L_name`, with objective-specific options.
    public struct Objective: Codable, Equatable, Sendable {
        /// `ar`, `logra`, `selfquestion`, `dpo`, …: lowercase letters, digits, `_` and `-`.
        public var name: String
        public var weight: Double
        /// Options the objective defines (e.g. LoGra-Med's temperature); absent means none.
        public var options: [String: JSONValue]

        public init(name: String, weight: Double, options: [String: JSONValue] = [:]) {
            self.name = name
            self.weight = weight
            self.options = options
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            weight = try container.decode(Double.self, forKey: .weight)
            options = try container.decodeIfPresent([String: JSONValue].self, forKey: .options) ?? [:]
        }
    }

    /// How long and how fast each site trains in a round.
    public struct Schedule: Codable, Equatable, Sendable {
        /// Optimizer steps per round.
        public var steps: Int
        /// Examples per optimizer step (the effective batch), split into `gradientAccumulation`
        /// equal micro-batches; a multiple of it.
        public var batchSize: Int
        /// Micro-batches per optimizer step: the batch's gradient is summed over them, so the
        /// step is the same as one pass over the whole batch, in less memory.
        public var gradientAccumulation: Int
        /// Tokens per example after truncation.
        public var maxSequenceLength: Int
        /// Peak learning rate.
        public var learningRate: Double
        public var learningRateSchedule: LearningRateSchedule
        /// Steps of linear warm-up from 0 to the peak, at most `steps`.
        public var warmupSteps: Int
        /// Global gradient-norm clip per step; nil clips nothing.
        public var gradientClipNorm: Double?

        public init(steps: Int, batchSize: Int, gradientAccumulation: Int, maxSequenceLength: Int, learningRate: Double,
                    learningRateSchedule: LearningRateSchedule, warmupSteps: Int, gradientClipNorm: Double?) {
            self.steps = steps
            self.batchSize = batchSize
            self.gradientAccumulation = gradientAccumulation
            self.maxSequenceLength = maxSequenceLength
            self.learningRate = learningRate
            self.learningRateSchedule = learningRateSchedule
            self.warmupSteps = warmupSteps
            self.gradientClipNorm = gradientClipNorm
        }

        enum CodingKeys: String, CodingKey {
            case steps, batchSize = "batch_size", gradientAccumulation = "gradient_accumulation"
            case maxSequenceLength = "max_sequence_length", learningRate = "learning_rate"
            case learningRateSchedule = "learning_rate_schedule", warmupSteps = "warmup_steps"
            case gradientClipNorm = "gradient_clip_norm"
        }
    }

    /// The learning rate after warm-up: cosine decay to 0 at `steps`, or constant.
    public enum LearningRateSchedule: String, Codable, CaseIterable, Sendable {
        case cosine
        case constant
    }

    /// AdamW (Loshchilov & Hutter, arXiv 1711.05101); its state starts fresh each round.
    public struct Optimizer: Codable, Equatable, Sendable {
        /// `[β₁, β₂]`, each in [0, 1).
        public var betas: [Double]
        public var epsilon: Double
        /// Decoupled weight decay λ: `θ ← θ − lr·λ·θ` each step.
        public var weightDecay: Double

        public init(betas: [Double], epsilon: Double, weightDecay: Double) {
            self.betas = betas
            self.epsilon = epsilon
            self.weightDecay = weightDecay
        }

        enum CodingKeys: String, CodingKey {
            case betas, epsilon, weightDecay = "weight_decay"
        }
    }

    /// The campaign's seed, from which every random choice of every site and round is derived
    /// (``siteSeed(round:site:)``, ``adapterInitializationSeed()``).
    public struct Randomness: Codable, Equatable, Sendable {
        /// At most 2⁵³ − 1, so the ledger's JSON (JCS numbers are doubles) records it exactly.
        public var campaignSeed: UInt64

        public init(campaignSeed: UInt64) {
            self.campaignSeed = campaignSeed
        }

        enum CodingKeys: String, CodingKey {
            case campaignSeed = "campaign_seed"
        }
    }

    /// What travels and how large it may be.
    public struct Wire: Codable, Equatable, Sendable {
        /// The encoding of uploads (global adapters are always fp32).
        public var encoding: WireEncoding
        /// The largest upload body (compressed container) the aggregator accepts, in bytes.
        public var maximumUploadBytes: Int

        public init(encoding: WireEncoding, maximumUploadBytes: Int) {
            self.encoding = encoding
            self.maximumUploadBytes = maximumUploadBytes
        }

        enum CodingKeys: String, CodingKey {
            case encoding, maximumUploadBytes = "maximum_upload_bytes"
        }
    }
}
