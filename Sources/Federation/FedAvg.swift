/// FedIT (Zhang et al., arXiv 2310.10173): the sample-weighted average of every tensor, `lora_A`
/// and `lora_B` separately, `modules_to_save` and objective tensors alike:
/// `A = Σ wᵢ Aᵢ`, `B = Σ wᵢ Bᵢ`, `wᵢ = nᵢ / Σ n` — Flower's `aggregate` (FedAvg).
///
/// Cheap and streaming, but not exact for LoRA: `Σ wᵢ Bᵢ Aᵢ ≠ (Σ wᵢ Bᵢ)(Σ wᵢ Aᵢ)`
/// (ALGORITHMS.md §5); ``FFA`` and ``SVDMerge`` are.
public struct FedAvg: AggregationStrategy {
    public var name: String { "fedavg" }

    public init() {}

    /// - Throws: ``AggregationError``: `noUpdates`, `negativeSampleCount`, `zeroTotalWeight`,
    ///   `missingTensor`, `unexpectedTensor`, `shapeMismatch`, `nonFiniteValue`, `nonFiniteResult`.
    public func aggregate(_ updates: [SiteUpdate], onto global: Adapter) throws -> Aggregation {
        guard !updates.isEmpty else { throw AggregationError.noUpdates(strategy: name) }
        var average = try WeightedAverage(strategy: name, global: global)
        try average.addInOnePass(updates)
        return try average.finished()
    }

    public func accumulator(onto global: Adapter) throws -> WeightedAverage? {
        try WeightedAverage(strategy: name, global: global)
    }
}
