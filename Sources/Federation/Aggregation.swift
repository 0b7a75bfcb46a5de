/// What a strategy returns: the next global adapter and a report of how it was made.
public struct Aggregation: Equatable, Sendable {
    /// The new global adapter, same names and shapes as the current one.
    public var adapter: Adapter
    public var report: AggregationReport

    public init(adapter: Adapter, report: AggregationReport) {
        self.adapter = adapter
        self.report = report
    }
}
