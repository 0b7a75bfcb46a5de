import Tensor
import TestSupport
import Testing

struct LinearAlgebraTests {
    static func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
        Float(largestDifference(a, b))
    }

    /// `AᵀA` of a matrix whose columns should be orthonormal, minus the identity.
    static func orthogonalityError(_ q: Tensor) -> Float {
        let gram = q.matmul(q, transposeSelf: true)
        let k = gram.shape[0]
        return (0..<(k * k)).map { abs(gram.values[$0] - ($0 / k == $0 % k ? 1 : 0)) }.max() ?? 0
    }

    @Test(arguments: [[40, 12], [12, 40], [16, 16]])
    func thinQRReconstructsWithOrthonormalQ(shape: [Int]) throws {
        let a = GradientCheck.random(shape, seed: 90)
        let (q, r) = try LinearAlgebra.qr(a)
        let k = shape.min() ?? 0
        #expect(q.shape == [shape[0], k] && r.shape == [k, shape[1]])
        #expect(Self.maximumDifference(q.matmul(r).values, a.values) < 1e-5)
        #expect(Self.orthogonalityError(q) < 1e-5)
        for row in 0..<k {
            for column in 0..<row { #expect(r.values[row * shape[1] + column] == 0) }
        }
    }

    @Test(arguments: [[40, 12], [12, 40]])
    func thinSVDReconstructsWithOrthonormalFactors(shape: [Int]) throws {
        let a = GradientCheck.random(shape, seed: 91)
        let (u, s, vt) = try LinearAlgebra.svd(a)
        let k = shape.min() ?? 0
        #expect(u.shape == [shape[0], k] && s.shape == [k] && vt.shape == [k, shape[1]])
        #expect(zip(s.values, s.values.dropFirst()).allSatisfy { $0 >= $1 })
        let reconstructed = (u * s.reshaped([1, k])).matmul(vt)
        #expect(Self.maximumDifference(reconstructed.values, a.values) < 1e-5)
        #expect(Self.orthogonalityError(u) < 1e-5)
        #expect(Self.orthogonalityError(vt.transposed()) < 1e-5)
    }

    /// A rank-2 matrix has two nonzero singular values: the known ones of `3·e₁f₁ᵀ + 1·e₂f₂ᵀ`.
    @Test func svdRecoversKnownSingularValues() throws {
        var values = [Float](repeating: 0, count: 5 * 4)
        values[0] = 3
        values[1 * 4 + 1] = 1
        let (_, s, _) = try LinearAlgebra.svd(Tensor(shape: [5, 4], values: values))
        #expect(Self.maximumDifference(s.values, [3, 1, 0, 0]) < 1e-6)
    }

    @Test func svdReportsNonFiniteInputAsLapackFailure() {
        let a = Tensor(shape: [3, 3], values: [1, .nan, 0, 0, 1, 0, 0, 0, 1])
        #expect { try LinearAlgebra.svd(a) } throws: { error in
            guard case let .lapackFailure(routine, info, shape)? = error as? TensorError else { return false }
            return routine == "sgesdd" && info != 0 && shape == [3, 3]
        }
    }
}
