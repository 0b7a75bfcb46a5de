import Foundation
@testable import Tensor
import Testing

struct SeededGeneratorTests {
    /// Known-answer tests from Random123's kat_vectors (philox4x32, 10 rounds).
    @Test func philoxMatchesRandom123KnownAnswers() {
        #expect(SeededGenerator.philox(block: 0, stream: 0, seed: 0) == (0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8))
        #expect(SeededGenerator.philox(block: .max, stream: .max, seed: .max) == (0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd))
        #expect(SeededGenerator.philox(block: 0x85a3_08d3_243f_6a88, stream: 0x0370_7344_1319_8a2e, seed: 0x299f_31d0_a409_3822)
                == (0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1))
    }

    @Test func sameSeedGivesSameSequenceAndStreamsDiffer() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 42, stream: 1)
        let first = (0..<100).map { _ in a.next() }
        #expect(first == (0..<100).map { _ in b.next() })
        #expect(first != (0..<100).map { _ in c.next() })
    }

    @Test func resumesExactlyFromSavedState() throws {
        var generator = SeededGenerator(seed: 7)
        _ = (0..<5).map { _ in generator.nextWord() }
        let saved = try JSONDecoder().decode(SeededGenerator.State.self, from: JSONEncoder().encode(generator.state))
        var resumed = SeededGenerator(state: saved)
        #expect((0..<9).map { _ in generator.nextWord() } == (0..<9).map { _ in resumed.nextWord() })
    }

    /// Sample moments within 5 standard errors of the distributions' (n = 100,000).
    @Test func samplersHaveTheirDistributionsMoments() {
        var generator = SeededGenerator(seed: 3)
        let n = 100_000
        func moments(_ sample: () -> Float) -> (mean: Double, variance: Double) {
            let values = (0..<n).map { _ in Double(sample()) }
            let mean = values.reduce(0, +) / Double(n)
            return (mean, values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n))
        }
        let uniform = moments { generator.uniform() }
        #expect(abs(uniform.mean - 0.5) < 5 * (1.0 / 12 / Double(n)).squareRoot())
        let normal = moments { generator.normal() }
        #expect(abs(normal.mean) < 5 / Double(n).squareRoot() && abs(normal.variance - 1) < 0.03)
        // Gumbel(0, 1): mean γ (Euler–Mascheroni), variance π²/6.
        let gumbel = moments { generator.gumbel() }
        #expect(abs(gumbel.mean - 0.5772156649) < 5 * (Double.pi * Double.pi / 6 / Double(n)).squareRoot())
        // Gamma(k, 1): mean and variance k.
        for shape: Float in [0.5, 2.5] {
            let gamma = moments { generator.gamma(shape: shape) }
            #expect(abs(gamma.mean - Double(shape)) < 5 * (Double(shape) / Double(n)).squareRoot())
            #expect(abs(gamma.variance - Double(shape)) < 0.05 * Double(shape) + 0.02)
        }
    }
}
