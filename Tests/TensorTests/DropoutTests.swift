import Tensor
import TestSupport
import Testing

struct DropoutTests {
    @Test func dropsTheRequestedShareAndKeepsTheExpectation() {
        var generator = SeededGenerator(seed: 5)
        let x = Tensor(repeating: 1, shape: [10_000])
        let y = x.dropout(probability: 0.25, generator: &generator)
        let kept = y.values.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == Float(1 / 0.75) })
        // 7,500 expected; 5 standard deviations (±217) of a binomial.
        #expect(abs(kept.count - 7_500) < 217)
        var again = SeededGenerator(seed: 5)
        #expect(x.dropout(probability: 0.25, generator: &again).values == y.values)
    }

    @Test func dropoutGradientUsesTheSameMask() {
        let x = GradientCheck.random([4, 5], seed: 80)
        expectGradientsMatch("dropout", GradientCheck.check([x]) { inputs in
            var generator = SeededGenerator(seed: 81)
            return inputs[0].dropout(probability: 0.3, generator: &generator)
        })
    }
}
