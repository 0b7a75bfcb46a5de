import Tensor
import TestSupport
import Testing

struct ArithmeticTests {
    /// Broadcast pairs: equal shapes, a bias over rows, a per-row scale, a general pattern, a scalar.
    static let shapePairs: [([Int], [Int])] = [
        ([2, 3], [2, 3]), ([2, 3, 4], [4]), ([2, 3, 4], [2, 3, 1]), ([2, 1, 3], [4, 1]), ([3, 2], []),
    ]

    @Test func addsWithBroadcasting() {
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let bias = Tensor(shape: [3], values: [10, 20, 30])
        #expect((a + bias).values == [11, 22, 33, 14, 25, 36])
        let rowScale = Tensor(shape: [2, 1], values: [2, 3])
        #expect((a * rowScale).values == [2, 4, 6, 12, 15, 18])
        let column = Tensor(shape: [2, 1, 1], values: [1, -1])
        let row = Tensor(shape: [1, 2], values: [10, 20])
        let general = column * row
        #expect(general.shape == [2, 1, 2])
        #expect(general.values == [10, 20, -10, -20])
    }

    @Test func subtractsAndDividesElementwise() {
        let a = Tensor(shape: [2], values: [6, 8])
        let b = Tensor(shape: [2], values: [2, 4])
        #expect((a - b).values == [4, 4])
        #expect((a / b).values == [3, 2])
        #expect((a / 2 + 1).values == [4, 5])
        #expect((-a).values == [-6, -8])
    }

    @Test(arguments: shapePairs.indices)
    func arithmeticGradientsMatchFiniteDifferences(pair: Int) {
        let (shapeA, shapeB) = Self.shapePairs[pair]
        let a = GradientCheck.random(shapeA, seed: 1)
        // Divisors kept away from zero.
        let b = GradientCheck.random(shapeB, seed: 2, scale: 0.5, offset: 1.5)
        expectGradientsMatch("add \(shapeA) \(shapeB)", GradientCheck.check([a, b]) { $0[0] + $0[1] })
        expectGradientsMatch("sub \(shapeA) \(shapeB)", GradientCheck.check([a, b]) { $0[0] - $0[1] })
        expectGradientsMatch("mul \(shapeA) \(shapeB)", GradientCheck.check([a, b]) { $0[0] * $0[1] })
        expectGradientsMatch("div \(shapeA) \(shapeB)", GradientCheck.check([a, b]) { $0[0] / $0[1] })
        expectGradientsMatch("scalar ops \(shapeA)", GradientCheck.check([a]) { ($0[0] * 3 - 1) / 2 })
    }

    /// A tensor used twice gets both contributions: d(x·x)/dx = 2x.
    @Test func accumulatesGradientOfReusedInput() {
        let x = Tensor(shape: [3], values: [1, -2, 3], requiresGradient: true)
        (x * x).sum().backward()
        #expect(x.grad == [2, -4, 6])
    }
}
