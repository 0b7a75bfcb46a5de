import Foundation
import Tensor
import TestSupport
import Testing

struct NormalizationTests {
    @Test func layerNormMatchesDirectFormula() {
        let x = Tensor(shape: [1, 4], values: [1, 2, 3, 4])
        let y = x.layerNormalized(weight: Tensor(shape: [4], values: [1, 1, 2, 2]),
                                  bias: Tensor(shape: [4], values: [0, 0, 0, 1]), epsilon: 1e-5)
        // mean 2.5, biased variance 1.25
        let rstd = 1 / (1.25 + 1e-5).squareRoot()
        expectClose(y.values, [Float(-1.5 * rstd), Float(-0.5 * rstd), Float(2 * 0.5 * rstd), Float(2 * 1.5 * rstd + 1)])
    }

    @Test func rmsNormMatchesDirectFormula() {
        let x = Tensor(shape: [1, 2], values: [3, 4])
        let y = x.rmsNormalized(weight: Tensor(shape: [2], values: [1, 0.5]), epsilon: 1e-6)
        let rstd = 1 / (12.5 + 1e-6).squareRoot()
        expectClose(y.values, [Float(3 * rstd), Float(0.5 * 4 * rstd)])
    }

    @Test func normalizesRowsAndComputesCosineSimilarities() {
        let a = Tensor(shape: [2, 2], values: [3, 4, 0, 0])
        #expect(a.l2Normalized().values == [0.6, 0.8, 0, 0])
        let b = Tensor(shape: [1, 2], values: [1, 0])
        expectClose(Tensor.cosineSimilarities(a, b).values, [0.6, 0])
    }

    /// Past the kernels' row chunks: RMSNorm's 40 rows in chunks of 16 (the last one short), each
    /// chunk with its own partial weight gradient; LayerNorm's 4,100 rows of 8 past its
    /// 32,768-element chunk.
    @Test func normalizationGradientsMatchAcrossRowChunks() {
        let x = GradientCheck.random([40, 13], seed: 53, scale: 2)
        let w = GradientCheck.random([13], seed: 54, offset: 1)
        expectGradientsMatch("rmsnorm", GradientCheck.check([x, w]) { $0[0].rmsNormalized(weight: $0[1], epsilon: 1e-6) })
        let wide = GradientCheck.random([4_100, 8], seed: 55, scale: 2)
        let lw = GradientCheck.random([8], seed: 56, offset: 1)
        let lb = GradientCheck.random([8], seed: 57)
        expectGradientsMatch("layernorm", GradientCheck.check([wide, lw, lb], maximumElements: 48) {
            $0[0].layerNormalized(weight: $0[1], bias: $0[2], epsilon: 1e-5)
        })
    }

    @Test func normalizationGradientsMatchFiniteDifferences() {
        let x = GradientCheck.random([3, 8], seed: 50, scale: 2)
        let w = GradientCheck.random([8], seed: 51, offset: 1)
        let b = GradientCheck.random([8], seed: 52)
        expectGradientsMatch("layernorm", GradientCheck.check([x, w, b]) {
            $0[0].layerNormalized(weight: $0[1], bias: $0[2], epsilon: 1e-5)
        })
        expectGradientsMatch("rmsnorm", GradientCheck.check([x, w]) { $0[0].rmsNormalized(weight: $0[1], epsilon: 1e-6) })
        expectGradientsMatch("l2 normalize", GradientCheck.check([x]) { $0[0].l2Normalized() })
        let other = GradientCheck.random([5, 8], seed: 53)
        expectGradientsMatch("cosine similarity", GradientCheck.check([x, other]) { Tensor.cosineSimilarities($0[0], $0[1]) })
    }
}
