/// The coordinate-wise median of the steps (Yin et al., ICML 2018; Flower's `aggregate_median`):
/// `x[j] = g[j] + median_i(xᵢ[j] − g[j])`, the mean of the two middle values when n is even
/// (NumPy's convention). Unweighted; needs every update at once.
///
/// It is the trimmed mean that keeps one value (n odd) or two (n even): `k = ⌊(n − 1) / 2⌋`.
public struct CoordinateMedian: AggregationStrategy {
    public var name: String { "median" }

    public init() {}

    /// - Throws: ``AggregationError``: `noUpdates`, `negativeSampleCount`, `missingTensor`,
    ///   `unexpectedTensor`, `shapeMismatch`, `nonFiniteValue`, `nonFiniteResult`.
    public func aggregate(_ updates: [SiteUpdate], onto global: Adapter) throws -> Aggregation {
        try TrimmedMean.trimmedMeans(of: updates, onto: global, trimming: max(0, (updates.count - 1) / 2), strategy: name)
    }
}
