import Foundation
import Tensor
import TestSupport
import Testing

struct RotaryEmbeddingTests {
    /// Each pair `(x_i, x_{i+D/2})` read as a complex number and multiplied by `e^{i p θ^(−2i/D)}`:
    /// the same rotation as rotate-half, written another way, in Double.
    static func complexRotation(_ x: [Float], tokens: Int, heads: Int, headSize: Int, positions: [Int], base: Double) -> [Float] {
        var y = x
        let half = headSize / 2
        for t in 0..<tokens {
            for h in 0..<heads {
                for i in 0..<half {
                    let angle = Double(positions[t]) * pow(base, -Double(2 * i) / Double(headSize))
                    let index = (t * heads + h) * headSize + i
                    let (re, im) = (Double(x[index]), Double(x[index + half]))
                    y[index] = Float(re * cos(angle) - im * sin(angle))
                    y[index + half] = Float(re * sin(angle) + im * cos(angle))
                }
            }
        }
        return y
    }

    @Test func rotatesHalvesAsComplexPairs() {
        let x = GradientCheck.random([1, 5, 2, 8], seed: 60)
        let positions = [0, 1, 2, 7, 30]
        let y = x.rotaryEmbedded(positions: positions, base: 10000)
        expectClose(y.values, Self.complexRotation(x.values, tokens: 5, heads: 2, headSize: 8, positions: positions, base: 10000),
                    tolerance: 2e-5)
        // Position 0 is the identity.
        #expect(Array(y.values.prefix(16)) == Array(x.values.prefix(16)))
    }

    @Test func rotaryGradientsMatchFiniteDifferences() {
        let x = GradientCheck.random([2, 3, 2, 4], seed: 61)
        expectGradientsMatch("rope", GradientCheck.check([x]) { $0[0].rotaryEmbedded(positions: [3, 4, 5], base: 500) })
    }
}
