/// How an aggregate was made, for the ledger's round-aggregated entry and the round's metrics.
public struct AggregationReport: Equatable, Sendable {
    /// One site's part in the aggregate.
    public struct Contribution: Equatable, Sendable {
        public var site: String
        public var sampleCount: Int
        /// `wᵢ = nᵢ / Σ n`; nil for the unweighted robust statistics (median, trimmed mean).
        public var weight: Double?
        /// `‖update − global‖₂` over all tensors the site sent, when steps were clipped.
        public var stepNorm: Double?
        /// Whether the step was scaled down to the bound.
        public var clipped: Bool
    }

    /// The strategy's name (``AggregationStrategy/name``).
    public var strategy: String
    /// In the order the updates were given.
    public var contributions: [Contribution]
    /// `Σ nᵢ`.
    public var totalSampleCount: Int
    /// svd-merge: per LoRA module path, the Frobenius error of the rank-r truncation,
    /// `‖ΔW − s′B′A′‖_F = √(Σ_{j>r} σⱼ²)`.
    public var truncationErrors: [String: Double] = [:]
    /// svd-merge: per module, that error over `‖ΔW‖_F = √(Σ_j σⱼ²)` (0 when ΔW = 0).
    public var relativeTruncationErrors: [String: Double] = [:]

    public init(strategy: String, contributions: [Contribution], totalSampleCount: Int) {
        self.strategy = strategy
        self.contributions = contributions
        self.totalSampleCount = totalSampleCount
    }

    /// Metrics for a global adapter's container header (``DeltaContainer/Header/metrics``):
    /// `sites`, `samples`, `clipped_sites`, and for svd-merge `svd.max_truncation_error` and
    /// `svd.max_relative_truncation_error`.
    public var metrics: [String: Double] {
        var metrics: [String: Double] = [
            "sites": Double(contributions.count),
            "samples": Double(totalSampleCount),
            "clipped_sites": Double(contributions.filter(\.clipped).count),
        ]
        if let worst = truncationErrors.values.max() { metrics["svd.max_truncation_error"] = worst }
        if let worst = relativeTruncationErrors.values.max() { metrics["svd.max_relative_truncation_error"] = worst }
        return metrics
    }
}
