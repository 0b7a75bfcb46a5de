import Protocols

/// One site's contribution to a round: its whole trained adapter (an *update*, not a step) and
/// `nᵢ`, the number of distinct training examples it used, which gives its weight
/// `wᵢ = nᵢ / Σ n` in the weighted strategies.
public struct SiteUpdate: Equatable, Sendable {
    /// The site id (its certificate's CN), used in reports and errors.
    public var site: String
    public var sampleCount: Int
    public var adapter: Adapter

    public init(site: String, sampleCount: Int, adapter: Adapter) {
        self.site = site
        self.sampleCount = sampleCount
        self.adapter = adapter
    }

    /// A decoded upload: the container's tensors, site and sample count.
    /// - Throws: ``AggregationError/duplicateTensor(site:tensor:)`` (a decoded container has none).
    public init(_ container: DeltaContainer) throws {
        let site = container.header.site ?? "global adapter"
        self.init(site: site, sampleCount: container.header.sampleCount, adapter: try Adapter(container.tensors, owner: site))
    }
}
