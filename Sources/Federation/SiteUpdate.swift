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

    /// This update with the global adapter's `lora_A` tensors it lacks (an FFA upload carries no
    /// `A`, which is frozen at the global value), for strategies that take whole updates.
    /// - Throws: ``AggregationError/duplicateTensor(site:tensor:)`` (cannot happen for a valid update).
    public func completed(from global: Adapter) throws -> SiteUpdate {
        let missing = global.tensors.filter { adapter[$0.name] == nil && global.loraANames.contains($0.name) }
        guard !missing.isEmpty else { return self }
        return SiteUpdate(site: site, sampleCount: sampleCount, adapter: try Adapter(adapter.tensors + missing, owner: site))
    }
}
