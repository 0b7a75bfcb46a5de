/// FFA-LoRA (Sun et al., arXiv 2403.12313): `lora_A` stays the round-0 global adapter's at every
/// site, and only `B` (with `modules_to_save` and objective tensors) is averaged:
/// `B = Σ wᵢ Bᵢ`, so `B A = Σ wᵢ Bᵢ A` — the exact average of the sites' low-rank changes.
///
/// Sites do not upload `A` under FFA; an update that does must carry the global `A` bit for bit,
/// otherwise the aggregate would no longer be exact and it is refused.
public struct FFA: AggregationStrategy {
    public var name: String { "ffa" }

    public init() {}

    /// - Throws: as ``FedAvg/aggregate(_:onto:)``, and
    ///   ``AggregationError/frozenFactorChanged(site:tensor:index:found:expected:)``.
    public func aggregate(_ updates: [SiteUpdate], onto global: Adapter) throws -> Aggregation {
        guard !updates.isEmpty else { throw AggregationError.noUpdates(strategy: name) }
        var average = try WeightedAverage(strategy: name, global: global, frozen: global.loraANames)
        try average.addInOnePass(updates)
        return try average.finished()
    }

    public func accumulator(onto global: Adapter) throws -> WeightedAverage? {
        try WeightedAverage(strategy: name, global: global, frozen: global.loraANames)
    }
}
