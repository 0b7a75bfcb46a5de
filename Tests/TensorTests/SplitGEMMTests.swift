import Foundation
@testable import Tensor
import TestSupport
import Testing

/// The block-split GEMMs LoRA's rank-r products use agree with one plain GEMM for every
/// transposition, on sizes that cut into several blocks, and accumulate with `beta`.
struct SplitGEMMTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool
        var testDescription: String { "\(m)×\(n)×\(k) \(transposeA ? "T" : "N")\(transposeB ? "T" : "N")" }
    }

    static func transpositions(m: Int, n: Int, k: Int) -> [Case] {
        [(false, false), (true, false), (false, true), (true, true)].map {
            Case(m: m, n: n, k: k, transposeA: $0.0, transposeB: $0.1)
        }
    }

    /// Expects `split` to give, for beta 0 and 1, what one ``MatMul/gemm`` gives for
    /// `alpha · op(A) op(B) + beta · C` on the same inputs.
    static func expectSplitMatchesGEMM(_ c: Case, alpha: Float, tolerance: Float,
                                       split: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Float) -> Void) {
        let a = GradientCheck.random([c.m * c.k], seed: 90).values
        let b = GradientCheck.random([c.k * c.n], seed: 91).values
        let initial = GradientCheck.random([c.m * c.n], seed: 92).values
        for beta: Float in [0, 1] {
            var plain = initial, blocked = initial
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    plain.withUnsafeMutableBufferPointer { plain in
                        MatMul.gemm(a.start, transposed: c.transposeA, b.start, transposed: c.transposeB, into: plain.start,
                                    m: c.m, n: c.n, k: c.k, alpha: alpha, beta: beta)
                    }
                    blocked.withUnsafeMutableBufferPointer { blocked in split(a.start, b.start, blocked.start, beta) }
                }
            }
            expectClose(blocked, plain, tolerance: tolerance)
        }
    }

    // Rows split (m long: 300 / (8·200 → 163-row blocks)), columns split (n long), and a product
    // whose single row is over the limit (one call).
    @Test(arguments: transpositions(m: 300, n: 8, k: 200) + transpositions(m: 8, n: 300, k: 200)
                     + transpositions(m: 3, n: 2, k: 140_000))
    func skinnyGEMMEqualsOneGEMM(_ c: Case) {
        Self.expectSplitMatchesGEMM(c, alpha: 0.5, tolerance: 1e-5) { a, b, out, beta in
            MatMul.skinnyGEMM(a, transposed: c.transposeA, b, transposed: c.transposeB, into: out,
                              m: c.m, n: c.n, k: c.k, alpha: 0.5, beta: beta)
        }
    }

    // K = 5000 over 8×40 outputs: blocks of 819, the last shorter; and a K that fits one block.
    // Partial sums in another order: agreement to float rounding of a 5000-term sum.
    @Test(arguments: transpositions(m: 8, n: 40, k: 5000) + transpositions(m: 8, n: 40, k: 100))
    func reducingGEMMEqualsOneGEMM(_ c: Case) {
        Self.expectSplitMatchesGEMM(c, alpha: 2, tolerance: 1e-4) { a, b, out, beta in
            MatMul.reducingGEMM(a, transposed: c.transposeA, b, transposed: c.transposeB, into: out,
                                m: c.m, n: c.n, k: c.k, alpha: 2, beta: beta)
        }
    }
}
