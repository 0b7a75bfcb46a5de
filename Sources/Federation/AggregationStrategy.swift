import Protocols

/// A rule that merges the sites' updates of a round into the next global adapter
/// (ALGORITHMS.md §5; the shape of Flower's `strategy/aggregate.py`: pure functions, no I/O).
///
/// Every strategy checks its input completely before it writes anything: each update holds the
/// global adapter's tensor names with its shapes (svd-merge admits other LoRA ranks), sample
/// counts are ≥ 0 with a positive total where weights are used, and every value is finite. NaN
/// and ±Inf never reach a global adapter: an input holding one is refused by name, and an
/// aggregate that overflows float32 is refused too.
public protocol AggregationStrategy: Sendable {
    /// The strategy's name in reports and the ledger: `fedavg`, `ffa`, `svd-merge`, `median`,
    /// `trimmed-mean`, `clip+…`.
    var name: String { get }

    /// The next global adapter from `updates` (full adapters) and the current `global` one.
    /// - Parameters:
    ///   - updates: the round's accepted updates, in any order (the result does not depend on it
    ///     beyond float rounding).
    ///   - global: the current global adapter: the reference for names and shapes, the origin of
    ///     steps (`update − global`) and the source of FFA's frozen `lora_A`.
    /// - Throws: ``AggregationError``.
    func aggregate(_ updates: [SiteUpdate], onto global: Adapter) throws -> Aggregation

    /// A running sum to feed updates one at a time (memory independent of the site count), or
    /// nil when the strategy needs every update at once (median, trimmed mean, svd-merge).
    /// Feeding it the same updates gives the same adapter as ``aggregate(_:onto:)``, bit for bit.
    /// - Throws: ``AggregationError``.
    func accumulator(onto global: Adapter) throws -> WeightedAverage?
}

extension AggregationStrategy {
    public func accumulator(onto global: Adapter) throws -> WeightedAverage? { nil }
}
