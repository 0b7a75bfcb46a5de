import Numerics
import Testing

/// Expects `actual` to equal `expected` elementwise within `tolerance` (absolute and relative).
func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    let worst = zip(actual, expected).map { abs($0 - $1) / Swift.max(1, abs($1)) }.max() ?? 0
    #expect(worst <= tolerance, "max difference \(worst)", sourceLocation: sourceLocation)
}
