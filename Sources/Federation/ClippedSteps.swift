/// A strategy that needs every update at once (median, trimmed mean, svd-merge) run on updates
/// whose steps were first clipped to the plan's bound (``NormClipping/clipped(_:onto:bound:)``).
/// The averaging strategies clip while they stream instead (``NormClipping``).
public struct ClippedSteps: AggregationStrategy {
    public let bound: Double
    public let base: any AggregationStrategy

    public var name: String { base.name + "+clip" }

    /// - Throws: ``AggregationError/invalidOption(strategy:option:value:requirement:)`` unless
    ///   `bound` is finite and > 0.
    public init(bound: Double, base: any AggregationStrategy) throws {
        self.bound = try NormClipping(bound: bound, ffa: false).bound
        self.base = base
    }

    /// - Throws: as ``NormClipping/clipped(_:onto:bound:)`` and the base strategy.
    public func aggregate(_ updates: [SiteUpdate], onto global: Adapter) throws -> Aggregation {
        let (clipped, norms) = try NormClipping.clipped(updates, onto: global, bound: bound)
        var aggregation = try base.aggregate(clipped, onto: global)
        aggregation.report.strategy = name
        for index in aggregation.report.contributions.indices where index < norms.count {
            aggregation.report.contributions[index].stepNorm = norms[index]
            aggregation.report.contributions[index].clipped = norms[index] > bound
        }
        return aggregation
    }
}
