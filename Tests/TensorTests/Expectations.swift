import Numerics
import Tensor
import TestSupport
import Testing

/// Expects every finite-difference report to pass, printing each input's max error (llm.c style).
func expectGradientsMatch(_ label: String, _ reports: [GradientCheck.Report],
                          sourceLocation: SourceLocation = #_sourceLocation) {
    for report in reports {
        print("gradient check \(label): \(report)")
        #expect(report.passed, "\(label): \(report)", sourceLocation: sourceLocation)
    }
}

/// Expects `actual` to equal `expected` elementwise within `tolerance` (absolute + relative).
func expectClose(_ actual: [Float], _ expected: [Float], tolerance: Float = 1e-5,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "count \(actual.count) vs \(expected.count)", sourceLocation: sourceLocation)
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        #expect(a.isApproximatelyEqual(to: e, absoluteTolerance: tolerance, relativeTolerance: tolerance),
                "element \(index): \(a) vs \(e)", sourceLocation: sourceLocation)
    }
}
