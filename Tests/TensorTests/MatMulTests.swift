import Tensor
import TestSupport
import Testing

struct MatMulTests {
    /// The textbook triple loop, as an independent reference.
    static func naiveProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                             transposeA: Bool, transposeB: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for p in 0..<k {
                    let x = transposeA ? a[p * m + i] : a[i * k + p]
                    let y = transposeB ? b[j * k + p] : b[p * n + j]
                    sum += x * y
                }
                c[i * n + j] = sum
            }
        }
        return c
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulMatchesNaiveProductForEveryTransposition(transposeA: Bool, transposeB: Bool) {
        let (m, n, k) = (5, 4, 3)
        let a = GradientCheck.random(transposeA ? [k, m] : [m, k], seed: 10)
        let b = GradientCheck.random(transposeB ? [n, k] : [k, n], seed: 11)
        let c = a.matmul(b, transposeSelf: transposeA, transposeOther: transposeB)
        #expect(c.shape == [m, n])
        expectClose(c.values, Self.naiveProduct(a.values, b.values, m: m, n: n, k: k,
                                                transposeA: transposeA, transposeB: transposeB))
        expectGradientsMatch("matmul tA=\(transposeA) tB=\(transposeB)", GradientCheck.check([a, b]) {
            $0[0].matmul($0[1], transposeSelf: transposeA, transposeOther: transposeB)
        })
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func batchedMatmulGradientsMatchFiniteDifferences(transposeA: Bool, transposeB: Bool) {
        let a = GradientCheck.random(transposeA ? [2, 3, 4, 5] : [2, 3, 5, 4], seed: 12)
        let b = GradientCheck.random(transposeB ? [2, 3, 6, 4] : [2, 3, 4, 6], seed: 13)
        let c = a.matmul(b, transposeSelf: transposeA, transposeOther: transposeB)
        #expect(c.shape == [2, 3, 5, 6])
        // The last batch element against the reference.
        let slice = { (t: Tensor) in Array(t.values.suffix(t.count / 6)) }
        expectClose(slice(c), Self.naiveProduct(slice(a), slice(b), m: 5, n: 6, k: 4,
                                                transposeA: transposeA, transposeB: transposeB))
        expectGradientsMatch("batched matmul", GradientCheck.check([a, b]) {
            $0[0].matmul($0[1], transposeSelf: transposeA, transposeOther: transposeB)
        })
    }

    /// A shared 2-D right operand folds the batch into one GEMM; both paths give the same gradient.
    @Test func sharedRightOperandGradientsMatchFiniteDifferences() {
        let a = GradientCheck.random([2, 3, 4], seed: 14)
        let w = GradientCheck.random([4, 5], seed: 15)
        expectGradientsMatch("matmul shared", GradientCheck.check([a, w]) { $0[0].matmul($0[1]) })
        expectGradientsMatch("matmul shared, aᵀ", GradientCheck.check([GradientCheck.random([2, 4, 3], seed: 16), w]) {
            $0[0].matmul($0[1], transposeSelf: true)
        })
    }

    @Test func linearComputesInputTimesWeightTransposedPlusBias() {
        let x = Tensor(shape: [1, 2], values: [1, 2])
        let w = Tensor(shape: [3, 2], values: [1, 0, 0, 1, 1, 1])
        let b = Tensor(shape: [3], values: [0.5, -0.5, 0])
        #expect(x.linear(weight: w, bias: b).values == [1.5, 1.5, 3])
        #expect(x.linear(weight: w).values == [1, 2, 3])
    }

    @Test func linearGradientsMatchFiniteDifferences() {
        let x = GradientCheck.random([2, 3, 4], seed: 17)
        let w = GradientCheck.random([5, 4], seed: 18)
        let b = GradientCheck.random([5], seed: 19)
        expectGradientsMatch("linear", GradientCheck.check([x, w, b]) { $0[0].linear(weight: $0[1], bias: $0[2]) })
        expectGradientsMatch("linear no bias", GradientCheck.check([x, w]) { $0[0].linear(weight: $0[1]) })
    }
}

struct LowRankLinearTests {
    /// The fused layer equals the unfused composition, and its gradients match finite differences.
    @Test func lowRankLinearMatchesCompositionAndFiniteDifferences() {
        let x = GradientCheck.random([2, 3, 6], seed: 100)
        let w = GradientCheck.random([5, 6], seed: 101)
        let b = GradientCheck.random([5], seed: 102)
        let a = GradientCheck.random([2, 6], seed: 103)
        let bFactor = GradientCheck.random([5, 2], seed: 104)
        let fused = x.linear(weight: w, bias: b, lowRankA: a, lowRankB: bFactor, scale: 1.5)
        let composed = x.linear(weight: w, bias: b) + x.linear(weight: a).linear(weight: bFactor) * 1.5
        expectClose(fused.values, composed.values, tolerance: 1e-5)
        expectGradientsMatch("lora-linear", GradientCheck.check([x, w, b, a, bFactor]) {
            $0[0].linear(weight: $0[1], bias: $0[2], lowRankA: $0[3], lowRankB: $0[4], scale: 1.5)
        })
        // FFA-LoRA: A frozen, so no dh is formed; x's gradient comes through the merged weight alone.
        expectGradientsMatch("lora-linear, A frozen", GradientCheck.check([x, bFactor]) {
            $0[0].linear(weight: w, bias: b, lowRankA: a, lowRankB: $0[1], scale: 1.5)
        })
        // One row (a decoding step): too few rows to merge, so the three products run unmerged.
        let single = GradientCheck.random([1, 1, 6], seed: 106)
        expectClose(single.linear(weight: w, bias: b, lowRankA: a, lowRankB: bFactor, scale: 1.5).values,
                    (single.linear(weight: w, bias: b) + single.linear(weight: a).linear(weight: bFactor) * 1.5).values,
                    tolerance: 1e-5)
        expectGradientsMatch("lora-linear, one row", GradientCheck.check([single, a, bFactor]) {
            $0[0].linear(weight: w, bias: b, lowRankA: $0[1], lowRankB: $0[2], scale: 1.5)
        })
        let dropped = GradientCheck.random([2, 3, 6], seed: 105)
        expectGradientsMatch("lora-linear, separate low-rank input", GradientCheck.check([x, a, dropped]) {
            $0[0].linear(weight: w, bias: nil, lowRankA: $0[1], lowRankB: bFactor, scale: 0.5, lowRankInput: $0[2])
        })
    }
}
