import Protocols

/// Step-norm clipping (the plan's `round.step_norm` with `on_exceed = clip`): each site's step
/// `Δᵢ = xᵢ − g`, over all the tensors it sends, is scaled to L2 norm at most `C` before averaging,
/// so no single site can move the global adapter by more than `wᵢ·C`:
/// `x = g + Σ wᵢ cᵢ Δᵢ`, `cᵢ = min(1, C / ‖Δᵢ‖₂)`, `wᵢ = nᵢ / Σ n`.
///
/// Averages like ``FedAvg`` (every tensor), or like ``FFA`` (frozen `lora_A`) when `ffa` is set;
/// streaming either way. For median, trimmed mean and svd-merge, use ``clipped(_:onto:bound:)``
/// on the updates first.
public struct NormClipping: AggregationStrategy {
    /// C, finite and > 0.
    public let bound: Double
    /// Whether `lora_A` is frozen (the campaign uses FFA).
    public let ffa: Bool

    public var name: String { ffa ? "ffa+clip" : "fedavg+clip" }

    /// - Throws: ``AggregationError/invalidOption(strategy:option:value:requirement:)`` unless
    ///   `bound` is finite and > 0.
    public init(bound: Double, ffa: Bool) throws {
        self.bound = try Self.validated(bound)
        self.ffa = ffa
    }

    /// - Throws: as ``FedAvg/aggregate(_:onto:)`` (and ``FFA/aggregate(_:onto:)`` under `ffa`).
    public func aggregate(_ updates: [SiteUpdate], onto global: Adapter) throws -> Aggregation {
        guard !updates.isEmpty else { throw AggregationError.noUpdates(strategy: name) }
        var average = try average(onto: global)
        for update in updates { try average.add(update) }
        return try average.finished()
    }

    public func accumulator(onto global: Adapter) throws -> WeightedAverage? {
        try average(onto: global)
    }

    private func average(onto global: Adapter) throws -> WeightedAverage {
        try WeightedAverage(strategy: name, global: global, frozen: ffa ? global.loraANames : [], mode: .clippedSteps(bound: bound))
    }

    /// Each update with its step scaled to norm at most `bound`: `g + min(1, C/‖Δᵢ‖₂) Δᵢ`, tensor
    /// by tensor; the norm is taken over all of the update's tensors.
    /// - Returns: the clipped updates and each step's norm before clipping.
    /// - Throws: ``AggregationError/invalidOption(strategy:option:value:requirement:)`` for a bad
    ///   bound; `missingTensor`/`unexpectedTensor`/`shapeMismatch` when an update's tensors are
    ///   not the global adapter's; `nonFiniteValue`.
    public static func clipped(_ updates: [SiteUpdate], onto global: Adapter, bound: Double) throws -> (updates: [SiteUpdate], norms: [Double]) {
        _ = try validated(bound)
        var result: [SiteUpdate] = []
        var norms: [Double] = []
        for update in updates {
            try WeightedAverage.check(update, against: global, frozen: [])
            try WeightedAverage.requireFinite(update)
            var squared = 0.0
            for tensor in update.adapter.tensors {
                guard let origin = global[tensor.name] else { continue }
                squared += tensor.values.withUnsafeBufferPointer { x in
                    origin.values.withUnsafeBufferPointer { g in AggregationKernels.squaredDistance(x, from: g) }
                }
            }
            let norm = squared.squareRoot()
            norms.append(norm)
            guard norm > bound else {
                result.append(update)
                continue
            }
            let factor = Float(bound / norm)
            let tensors = update.adapter.tensors.map { tensor -> NamedTensor in
                guard let origin = global[tensor.name] else { return tensor }
                let values = zip(tensor.values, origin.values).map { x, g in g + factor * (x - g) }
                return NamedTensor(name: tensor.name, shape: tensor.shape, values: values)
            }
            result.append(SiteUpdate(site: update.site, sampleCount: update.sampleCount, adapter: try Adapter(tensors, owner: update.site)))
        }
        return (result, norms)
    }

    private static func validated(_ bound: Double) throws -> Double {
        guard bound.isFinite, bound > 0 else {
            throw AggregationError.invalidOption(strategy: "clip", option: "step-norm bound", value: "\(bound)",
                                                 requirement: "the bound must be finite and > 0")
        }
        return bound
    }
}
