extension TrainingPlan {
    /// How the aggregator closes a round and merges its updates (ALGORITHMS.md §5).
    public struct Round: Codable, Equatable, Sendable {
        public var strategy: Strategy
        public var strategyOptions: StrategyOptions
        /// A bound on each step's L2 norm `‖update − global‖` over all its tensors; nil for none.
        public var stepNorm: StepNormBound?
        /// The fewest valid updates that make a release; fewer by the deadline fail the round.
        public var quorum: Int
        /// Seconds from the round's opening to its deadline.
        public var deadlineSeconds: Int
        /// Whether a site may replace its accepted update with a newer one before the round closes.
        public var allowReplacement: Bool

        public init(strategy: Strategy, strategyOptions: StrategyOptions = StrategyOptions(), stepNorm: StepNormBound?,
                    quorum: Int, deadlineSeconds: Int, allowReplacement: Bool) {
            self.strategy = strategy
            self.strategyOptions = strategyOptions
            self.stepNorm = stepNorm
            self.quorum = quorum
            self.deadlineSeconds = deadlineSeconds
            self.allowReplacement = allowReplacement
        }

        /// Decodes; an absent `strategy_options` means none.
        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            strategy = try container.decode(Strategy.self, forKey: .strategy)
            strategyOptions = try container.decodeIfPresent(StrategyOptions.self, forKey: .strategyOptions) ?? StrategyOptions()
            stepNorm = try container.decodeIfPresent(StepNormBound.self, forKey: .stepNorm)
            quorum = try container.decode(Int.self, forKey: .quorum)
            deadlineSeconds = try container.decode(Int.self, forKey: .deadlineSeconds)
            allowReplacement = try container.decode(Bool.self, forKey: .allowReplacement)
        }

        enum CodingKeys: String, CodingKey {
            case strategy, strategyOptions = "strategy_options", stepNorm = "step_norm", quorum
            case deadlineSeconds = "deadline_seconds", allowReplacement = "allow_replacement"
        }
    }

    /// The aggregation rule, with weights `wᵢ = nᵢ / Σ n` (nᵢ: distinct examples site i used).
    public enum Strategy: String, Codable, CaseIterable, Sendable {
        /// FedIT: `A = Σ wᵢ Aᵢ`, `B = Σ wᵢ Bᵢ`.
        case fedavg
        /// FFA-LoRA: `A` frozen, `B = Σ wᵢ Bᵢ` (exact).
        case ffa
        /// `Σ wᵢ s Bᵢ Aᵢ` re-factored by truncated SVD to the plan's rank r.
        case svdMerge = "svd-merge"
        /// Coordinate-wise median of the steps.
        case median
        /// Coordinate-wise mean of the steps after dropping the ⌊β·n⌋ largest and smallest.
        case trimmedMean = "trimmed-mean"
    }

    /// Options of the strategy: `trim_fraction` β ∈ (0, 0.5) for, and only for, `trimmed-mean`.
    public struct StrategyOptions: Codable, Equatable, Sendable {
        public var trimFraction: Double?

        public init(trimFraction: Double? = nil) {
            self.trimFraction = trimFraction
        }

        enum CodingKeys: String, CodingKey {
            case trimFraction = "trim_fraction"
        }
    }

    /// The step-norm bound C and what a step with `‖step‖ > C` gets.
    public struct StepNormBound: Codable, Equatable, Sendable {
        public var bound: Double
        public var onExceed: Action

        /// `clip`: the step is scaled by `C / ‖step‖`; `reject`: the update is refused.
        public enum Action: String, Codable, Sendable {
            case clip
            case reject
        }

        public init(bound: Double, onExceed: Action) {
            self.bound = bound
            self.onExceed = onExceed
        }

        enum CodingKeys: String, CodingKey {
            case bound, onExceed = "on_exceed"
        }
    }
}
