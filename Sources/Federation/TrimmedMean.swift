import Protocols

/// The coordinate-wise trimmed mean of the steps (Yin et al., "Byzantine-robust distributed
/// learning", ICML 2018; Flower's `aggregate_trimmed_avg`): for every element `j` of every
/// tensor, the steps `Δᵢ[j] = xᵢ[j] − g[j]` of the n sites are sorted, the `k` largest and `k`
/// smallest dropped, and the rest averaged: `x[j] = g[j] + mean(sorted Δ[j][k ..< n−k])`.
///
/// Unweighted, as a robust statistic must be (one site's sample count could otherwise outvote
/// the trimming). Needs every update at once; `O(n²)` comparisons per element (insertion sort,
/// n being a site count).
public struct TrimmedMean: AggregationStrategy {
    /// How many values to drop at each end of every coordinate.
    public enum Trim: Equatable, Sendable {
        /// Exactly k.
        case count(Int)
        /// `k = ⌊β·n⌋` for n updates, β in [0, 0.5) (the plan's `trim_fraction`).
        case fraction(Double)
    }

    public let trim: Trim

    public var name: String { "trimmed-mean" }

    /// - Throws: ``AggregationError/invalidOption(strategy:option:value:requirement:)`` for a
    ///   negative count or a fraction outside [0, 0.5).
    public init(trim: Trim) throws {
        switch trim {
        case let .count(k) where k < 0:
            throw AggregationError.invalidOption(strategy: "trimmed-mean", option: "trim count", value: "\(k)", requirement: "it must be ≥ 0")
        case let .fraction(beta) where !(beta >= 0 && beta < 0.5):
            throw AggregationError.invalidOption(strategy: "trimmed-mean", option: "trim_fraction", value: "\(beta)",
                                                 requirement: "it must be in [0, 0.5)")
        default:
            self.trim = trim
        }
    }

    /// k for `n` updates.
    public func trimCount(updates n: Int) -> Int {
        switch trim {
        case let .count(k): return k
        case let .fraction(beta): return Int((beta * Double(n)).rounded(.down))
        }
    }

    /// - Throws: ``AggregationError``: `noUpdates`, ``AggregationError/tooFewUpdatesToTrim(updates:trimmed:)``
    ///   when `n ≤ 2k`, `negativeSampleCount`, `missingTensor`, `unexpectedTensor`,
    ///   `shapeMismatch`, `nonFiniteValue`, `nonFiniteResult`.
    public func aggregate(_ updates: [SiteUpdate], onto global: Adapter) throws -> Aggregation {
        try Self.trimmedMeans(of: updates, onto: global, trimming: trimCount(updates: updates.count), strategy: name)
    }

    /// `g + trimmed mean` of the steps, element by element, dropping `k` values at each end.
    static func trimmedMeans(of updates: [SiteUpdate], onto global: Adapter, trimming k: Int, strategy: String) throws -> Aggregation {
        let n = updates.count
        guard n > 0 else { throw AggregationError.noUpdates(strategy: strategy) }
        // n > 2k, without computing 2k (k comes from the plan or a caller and may be huge).
        guard k <= (n - 1) / 2 else { throw AggregationError.tooFewUpdatesToTrim(updates: n, trimmed: k) }
        for update in updates {
            try WeightedAverage.check(update, against: global, frozen: [])
            try WeightedAverage.requireFinite(update)
        }
        let chunkElements = AggregationKernels.chunkElements
        // block: (n, chunk) steps of one chunk, row i from site i; column: one coordinate's n steps.
        var block = [Float](repeating: 0, count: n * chunkElements)
        var column = [Float](repeating: 0, count: n)
        var tensors: [NamedTensor] = []
        for tensor in global.tensors {
            let inputs = updates.map { $0.adapter[tensor.name]?.values ?? [] }
            var values = [Float](repeating: 0, count: tensor.values.count)
            tensor.values.withUnsafeBufferPointer { origin in
                values.withUnsafeMutableBufferPointer { output in
                    block.withUnsafeMutableBufferPointer { block in
                        column.withUnsafeMutableBufferPointer { column in
                            for start in stride(from: 0, to: output.count, by: chunkElements) {
                                let width = min(chunkElements, output.count - start)
                                for (i, input) in inputs.enumerated() {
                                    input.withUnsafeBufferPointer { x in
                                        for c in 0..<width { block[i * chunkElements + c] = x[start + c] - origin[start + c] }
                                    }
                                }
                                for c in 0..<width {
                                    for i in 0..<n { column[i] = block[i * chunkElements + c] }
                                    Self.insertionSort(column)
                                    var sum = 0.0
                                    for i in k..<(n - k) { sum += Double(column[i]) }
                                    output[start + c] = origin[start + c] + Float(sum / Double(n - 2 * k))
                                }
                            }
                        }
                    }
                }
            }
            if let index = values.withUnsafeBufferPointer(AggregationKernels.firstNonFinite) {
                throw AggregationError.nonFiniteResult(tensor: tensor.name, index: index)
            }
            tensors.append(NamedTensor(name: tensor.name, shape: tensor.shape, values: values))
        }
        let contributions = updates.map {
            AggregationReport.Contribution(site: $0.site, sampleCount: $0.sampleCount, weight: nil, stepNorm: nil, clipped: false)
        }
        return Aggregation(adapter: try Adapter(tensors, owner: "aggregate"),
                           report: AggregationReport(strategy: strategy, contributions: contributions,
                                                     totalSampleCount: updates.reduce(0) { $0 + $1.sampleCount }))
    }

    /// Sorts a few values in place without allocating (the standard sort may allocate a buffer).
    private static func insertionSort(_ values: UnsafeMutableBufferPointer<Float>) {
        guard values.count > 1 else { return }
        for i in 1..<values.count {
            let value = values[i]
            var j = i
            while j > 0 && values[j - 1] > value {
                values[j] = values[j - 1]
                j -= 1
            }
            values[j] = value
        }
    }
}
