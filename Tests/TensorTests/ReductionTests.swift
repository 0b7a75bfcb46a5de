import Tensor
import TestSupport
import Testing

struct ReductionTests {
    @Test func reducesAlongAnAxis() {
        let x = Tensor(shape: [2, 3], values: [1, 5, 3, 4, 2, 6])
        #expect(x.sum(alongAxis: 0).values == [5, 7, 9])
        #expect(x.sum(alongAxis: -1).values == [9, 12])
        #expect(x.mean(alongAxis: 1, keepingDimension: true).shape == [2, 1])
        #expect(x.mean(alongAxis: 1).values == [3, 4])
        #expect(x.max(alongAxis: 1).values == [5, 6])
        #expect(x.max(alongAxis: 0).values == [4, 5, 6])
        #expect(x.sum().item == 21)
        #expect(x.mean().item == 3.5)
    }

    @Test(arguments: [0, 1, 2, -1])
    func reductionGradientsMatchFiniteDifferences(axis: Int) {
        let x = GradientCheck.random([3, 4, 5], seed: 20)
        expectGradientsMatch("sum axis \(axis)", GradientCheck.check([x]) { $0[0].sum(alongAxis: axis) })
        expectGradientsMatch("mean axis \(axis)", GradientCheck.check([x]) { $0[0].mean(alongAxis: axis, keepingDimension: true) })
        // Max: distinct values 0.05 apart, so a ±0.01 perturbation never changes the argmax.
        var generator = SeededGenerator(seed: 21)
        let spaced = (0..<60).map { Float($0) * 0.05 - 1.5 }.shuffled(using: &generator)
        let separated = Tensor(shape: [3, 4, 5], values: spaced)
        expectGradientsMatch("max axis \(axis)", GradientCheck.check([separated]) { $0[0].max(alongAxis: axis) })
        expectGradientsMatch("sum all", GradientCheck.check([x]) { $0[0].sum() })
        expectGradientsMatch("mean all", GradientCheck.check([x]) { $0[0].mean() })
    }
}
