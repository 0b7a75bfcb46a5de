extension TrainingPlan {
    /// The adapter's form, fixed for a campaign (ALGORITHMS.md §1; PEFT's `LoraConfig` fields).
    ///
    /// A targeted layer `y = x Wᵀ` becomes `y = x Wᵀ + s · (dropout(x) Aᵀ) Bᵀ` with
    /// `A: (r, in)`, `B: (out, r)` and scale `s = alpha / r`, or `alpha / √r` with rsLoRA
    /// (Kalajdzievski, arXiv 2312.03732). Under FFA-LoRA (Sun et al., arXiv 2403.12313) `A` stays
    /// at the round-0 global adapter's value and only `B` is trained and uploaded.
    public struct LoRA: Codable, Equatable, Sendable {
        /// The rank r.
        public var r: Int
        public var alpha: Double
        public var useRSLoRA: Bool
        /// Probability of zeroing an input element before `A`, in [0, 1).
        public var dropout: Double
        public var targetModules: TargetModules
        /// Modules trained in full and sent whole (list rule of ``TargetModules``), e.g.
        /// `multi_modal_projector`.
        public var modulesToSave: [String]
        /// FFA-LoRA: `A` frozen and not uploaded. True exactly when the round strategy is `ffa`.
        public var ffa: Bool

        public init(r: Int, alpha: Double, useRSLoRA: Bool, dropout: Double, targetModules: TargetModules,
                    modulesToSave: [String], ffa: Bool) {
            self.r = r
            self.alpha = alpha
            self.useRSLoRA = useRSLoRA
            self.dropout = dropout
            self.targetModules = targetModules
            self.modulesToSave = modulesToSave
            self.ffa = ffa
        }

        /// The scale `s`: `alpha / r`, or `alpha / √r` with rsLoRA.
        public var scale: Double {
            useRSLoRA ? alpha / Double(r).squareRoot() : alpha / Double(r)
        }

        enum CodingKeys: String, CodingKey {
            case r, alpha, useRSLoRA = "use_rslora", dropout, targetModules = "target_modules"
            case modulesToSave = "modules_to_save", ffa
        }
    }
}
