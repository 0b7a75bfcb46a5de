import Protocols

extension TrainingPlan {
    /// The strategy of the plan's `round` section, with its options: `fedavg` → ``FedAvg``,
    /// `ffa` → ``FFA``, `svd-merge` → ``SVDMerge`` at the plan's rank and scale, `median` →
    /// ``CoordinateMedian``, `trimmed-mean` → ``TrimmedMean`` with `trim_fraction`. A step-norm
    /// bound with `on_exceed = clip` wraps it: ``NormClipping`` for the averaging strategies
    /// (still streaming), ``ClippedSteps`` for the others. (`reject` is the intake's business.)
    /// - Throws: ``AggregationError/invalidOption(strategy:option:value:requirement:)`` for
    ///   options a validated plan cannot have.
    public func aggregationStrategy() throws -> any AggregationStrategy {
        let clipBound = round.stepNorm.flatMap { $0.onExceed == .clip ? $0.bound : nil }
        switch round.strategy {
        case .fedavg:
            return try clipBound.map { try NormClipping(bound: $0, ffa: false) } ?? FedAvg()
        case .ffa:
            return try clipBound.map { try NormClipping(bound: $0, ffa: true) } ?? FFA()
        case .svdMerge, .median, .trimmedMean:
            let base: any AggregationStrategy
            switch round.strategy {
            case .svdMerge: base = try SVDMerge(lora: lora)
            case .median: base = CoordinateMedian()
            default: base = try TrimmedMean(trim: .fraction(round.strategyOptions.trimFraction ?? 0))
            }
            return try clipBound.map { try ClippedSteps(bound: $0, base: base) } ?? base
        }
    }
}
