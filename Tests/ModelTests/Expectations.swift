import Numerics
import Testing

/// Expects `actual` to equal `expected` elementwise within `tolerance` (absolute and relative).
func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count && !actual.isEmpty, sourceLocation: sourceLocation)
    // A NaN counts as the worst (max() would skip it after the first element).
    let worst = zip(actual, expected).map { abs($0 - $1) / Swift.max(1, abs($1)) }.reduce(Float(0)) { $1.isNaN || $0.isNaN ? .nan : Swift.max($0, $1) }
    #expect(worst <= tolerance, "max difference \(worst)", sourceLocation: sourceLocation)
}
