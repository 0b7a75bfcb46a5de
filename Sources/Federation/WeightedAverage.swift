import Protocols

/// The running sum behind fedavg, ffa and step-norm clipping: updates are fed one at a time, so
/// memory is one adapter's worth of sums whatever the number of sites (ALGORITHMS.md §5,
/// "Streaming").
///
/// For each averaged tensor (every tensor of the global adapter except the `frozen` ones) it keeps
/// - `.updates`: `S = Σᵢ nᵢ xᵢ`, finished as `x = S / Σ n` (FedIT, Flower's `aggregate`);
/// - `.clippedSteps(bound: C)`: `S = Σᵢ nᵢ cᵢ (xᵢ − g)` with `cᵢ = min(1, C / ‖xᵢ − g‖₂)`, the
///   norm taken over all of the update's averaged tensors, finished as `x = g + S / Σ n`.
///
/// Frozen tensors (FFA's `lora_A`) are copied from the global adapter; an update may leave them
/// out, and one that sends them must send them unchanged.
///
/// `add` checks the whole update (sample count, names, shapes, frozen tensors, finiteness) before
/// it changes any sum, so a refused update leaves the average as it was and the round can go on
/// without it.
public struct WeightedAverage: Sendable {
    /// What is summed.
    public enum Mode: Equatable, Sendable {
        /// Updates themselves, weighted by sample count.
        case updates
        /// Steps `update − global`, each scaled down to L2 norm at most `bound` first.
        case clippedSteps(bound: Double)
    }

    let strategy: String
    let global: Adapter
    let frozen: Set<String>
    let mode: Mode
    /// Per global tensor position: the running sum, same length as the tensor; empty when frozen.
    var sums: [[Float]]
    var contributions: [AggregationReport.Contribution] = []
    var totalSampleCount = 0

    /// An empty average onto `global`.
    /// - Parameters:
    ///   - strategy: the name reported (``AggregationStrategy/name``).
    ///   - frozen: names of global tensors kept as they are (FFA: ``Adapter/loraANames``).
    /// - Throws: ``AggregationError/invalidOption(strategy:option:value:requirement:)`` for a bound
    ///   that is not finite and > 0, or a frozen name the global adapter lacks.
    public init(strategy: String, global: Adapter, frozen: Set<String> = [], mode: Mode = .updates) throws {
        if case let .clippedSteps(bound) = mode, !(bound.isFinite && bound > 0) {
            throw AggregationError.invalidOption(strategy: strategy, option: "step-norm bound", value: "\(bound)",
                                                 requirement: "the bound must be finite and > 0")
        }
        if let unknown = frozen.sorted().first(where: { global[$0] == nil }) {
            throw AggregationError.invalidOption(strategy: strategy, option: "frozen tensor", value: unknown,
                                                 requirement: "frozen tensors must be tensors of the global adapter")
        }
        self.strategy = strategy
        self.global = global
        self.frozen = frozen
        self.mode = mode
        sums = global.tensors.map { frozen.contains($0.name) ? [] : [Float](repeating: 0, count: $0.values.count) }
    }

    /// The number of updates added so far.
    public var count: Int { contributions.count }

    /// Adds one update held in memory.
    /// - Throws: ``AggregationError`` (`negativeSampleCount`, `missingTensor`, `unexpectedTensor`,
    ///   `shapeMismatch`, `frozenFactorChanged`, `nonFiniteValue`); the average is then unchanged.
    public mutating func add(_ update: SiteUpdate) throws {
        try add(from: update)
    }

    /// Adds one stored container, read straight from its byte planes (no full decode).
    /// - Throws: as ``add(_:)-(SiteUpdate)``.
    public mutating func add(_ stored: DeltaContainer.Stored) throws {
        try add(from: StoredUpdate(stored: stored))
    }

    mutating func add(from source: some UpdateSource) throws {
        try check(source)
        try Self.requireFinite(source)
        var weight = Float(source.sampleCount)
        var contribution = AggregationReport.Contribution(site: source.site, sampleCount: source.sampleCount, weight: nil,
                                                          stepNorm: nil, clipped: false)
        if case let .clippedSteps(bound) = mode {
            let norm = stepNorm(of: source)
            contribution.stepNorm = norm
            if norm > bound {
                contribution.clipped = true
                weight = Float(Double(source.sampleCount) * (bound / norm))
            }
        }
        for (position, tensor) in global.tensors.enumerated() where !frozen.contains(tensor.name) {
            tensor.values.withUnsafeBufferPointer { origin in
                sums[position].withUnsafeMutableBufferPointer { sum in
                    source.forEachChunk(ofTensor: tensor.name) { offset, x in
                        let sumChunk = UnsafeMutableBufferPointer(rebasing: sum[offset..<(offset + x.count)])
                        switch mode {
                        case .updates:
                            AggregationKernels.accumulate(x, weight: weight, into: sumChunk)
                        case .clippedSteps:
                            AggregationKernels.accumulateStep(x, from: UnsafeBufferPointer(rebasing: origin[offset..<(offset + x.count)]),
                                                              weight: weight, into: sumChunk)
                        }
                    }
                }
            }
        }
        contributions.append(contribution)
        totalSampleCount += source.sampleCount
    }

    /// `‖x − g‖₂` over the averaged tensors.
    private func stepNorm(of source: some UpdateSource) -> Double {
        var squared = 0.0
        for tensor in global.tensors where !frozen.contains(tensor.name) {
            tensor.values.withUnsafeBufferPointer { origin in
                source.forEachChunk(ofTensor: tensor.name) { offset, x in
                    squared += AggregationKernels.squaredDistance(x, from: UnsafeBufferPointer(rebasing: origin[offset..<(offset + x.count)]))
                }
            }
        }
        return squared.squareRoot()
    }

    /// Sample count, names, shapes and frozen tensors of an update against the global adapter.
    func check(_ source: some UpdateSource) throws {
        try Self.check(source, against: global, frozen: frozen)
    }

    /// Sample count, names, shapes and frozen tensors of an update against `global`: the update
    /// holds every global tensor at its shape (frozen ones may be absent, and must be unchanged
    /// when present) and no other tensor.
    static func check(_ source: some UpdateSource, against global: Adapter, frozen: Set<String>) throws {
        guard source.sampleCount >= 0 else {
            throw AggregationError.negativeSampleCount(site: source.site, sampleCount: source.sampleCount)
        }
        for tensor in global.tensors {
            guard let shape = source.shape(ofTensor: tensor.name) else {
                if frozen.contains(tensor.name) { continue }
                throw AggregationError.missingTensor(site: source.site, tensor: tensor.name)
            }
            guard shape == tensor.shape else {
                throw AggregationError.shapeMismatch(site: source.site, tensor: tensor.name, found: shape, expected: tensor.shape)
            }
        }
        if let extra = source.tensorNames.first(where: { global[$0] == nil }) {
            throw AggregationError.unexpectedTensor(site: source.site, tensor: extra)
        }
        for tensor in global.tensors where frozen.contains(tensor.name) && source.shape(ofTensor: tensor.name) != nil {
            try tensor.values.withUnsafeBufferPointer { expected in
                try source.forEachChunk(ofTensor: tensor.name) { offset, found in
                    for j in 0..<found.count where found[j].bitPattern != expected[offset + j].bitPattern {
                        throw AggregationError.frozenFactorChanged(site: source.site, tensor: tensor.name, index: offset + j,
                                                                   found: found[j], expected: expected[offset + j])
                    }
                }
            }
        }
    }

    /// Throws ``AggregationError/nonFiniteValue(site:tensor:index:value:)`` for the first NaN or
    /// ±Inf of an update.
    static func requireFinite(_ source: some UpdateSource) throws {
        if let (tensor, index, value) = source.firstNonFiniteValue() {
            throw AggregationError.nonFiniteValue(site: source.site, tensor: tensor, index: index, value: AggregationError.text(of: value))
        }
    }

    /// The average of the updates added: weights `wᵢ = nᵢ / Σ n`, frozen tensors from the global
    /// adapter. Consuming: the sums become the result's tensors without a copy.
    /// - Throws: ``AggregationError/noUpdates(strategy:)``, ``AggregationError/zeroTotalWeight(sites:)``,
    ///   ``AggregationError/nonFiniteResult(tensor:index:)``.
    public consuming func finished() throws -> Aggregation {
        guard !contributions.isEmpty else { throw AggregationError.noUpdates(strategy: strategy) }
        guard totalSampleCount > 0 else { throw AggregationError.zeroTotalWeight(sites: contributions.count) }
        let scale = Float(1 / Double(totalSampleCount))
        var tensors: [NamedTensor] = []
        tensors.reserveCapacity(global.tensors.count)
        for (position, tensor) in global.tensors.enumerated() {
            if frozen.contains(tensor.name) {
                tensors.append(tensor)
                continue
            }
            var values: [Float] = []
            swap(&values, &sums[position])
            let finite = values.withUnsafeMutableBufferPointer { values in
                tensor.values.withUnsafeBufferPointer { origin in
                    AggregationKernels.scale(values, by: scale, addingTo: mode == .updates ? nil : origin)
                }
            }
            if !finite, let index = values.withUnsafeBufferPointer(AggregationKernels.firstNonFinite) {
                throw AggregationError.nonFiniteResult(tensor: tensor.name, index: index)
            }
            tensors.append(NamedTensor(name: tensor.name, shape: tensor.shape, values: values))
        }
        var report = AggregationReport(strategy: strategy, contributions: contributions, totalSampleCount: totalSampleCount)
        for index in report.contributions.indices {
            report.contributions[index].weight = Double(report.contributions[index].sampleCount) / Double(totalSampleCount)
        }
        return Aggregation(adapter: try Adapter(tensors, owner: "aggregate"), report: report)
    }
}
