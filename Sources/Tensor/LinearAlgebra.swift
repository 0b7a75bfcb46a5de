import CLAPACKE

/// Dense factorisations without gradients, through LAPACK (OpenBLAS's, via LAPACKE): the thin QR
/// and the thin SVD the aggregator's exact LoRA merge is built from.
public enum LinearAlgebra {
    /// The thin QR factorisation `A = Q R` of an `(m, n)` matrix: `Q (m, k)` with orthonormal
    /// columns, `R (k, n)` upper triangular, `k = min(m, n)` (`sgeqrf` then `sorgqr`).
    /// - Throws: ``TensorError/lapackFailure(routine:info:shape:)`` when LAPACK reports an error.
    public static func qr(_ matrix: Tensor) throws -> (q: Tensor, r: Tensor) {
        precondition(matrix.rank == 2, "QR of a \(matrix.shape) tensor: expected a matrix")
        let (m, n) = (matrix.shape[0], matrix.shape[1])
        let k = Swift.min(m, n)
        var a = matrix.values
        var tau = [Float](repeating: 0, count: Swift.max(k, 1))
        let factorInfo = a.withUnsafeMutableBufferPointer { a in
            LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, Int32(m), Int32(n), a.start, Int32(n), &tau)
        }
        guard factorInfo == 0 else { throw TensorError.lapackFailure(routine: "sgeqrf", info: factorInfo, shape: matrix.shape) }
        // R: the upper triangle of the first k rows.
        var r = [Float](repeating: 0, count: k * n)
        for row in 0..<k {
            for column in row..<n { r[row * n + column] = a[row * n + column] }
        }
        let expandInfo = a.withUnsafeMutableBufferPointer { a in
            LAPACKE_sorgqr(LAPACK_ROW_MAJOR, Int32(m), Int32(k), Int32(k), a.start, Int32(n), &tau)
        }
        guard expandInfo == 0 else { throw TensorError.lapackFailure(routine: "sorgqr", info: expandInfo, shape: matrix.shape) }
        // Q: the first k columns of the expanded reflectors.
        var q = [Float](repeating: 0, count: m * k)
        for row in 0..<m {
            for column in 0..<k { q[row * k + column] = a[row * n + column] }
        }
        return (Tensor(shape: [m, k], values: q), Tensor(shape: [k, n], values: r))
    }

    /// The thin singular value decomposition `A = U diag(σ) Vᵀ` of an `(m, n)` matrix:
    /// `U (m, k)`, `σ (k)` in descending order, `Vᵀ (k, n)`, `k = min(m, n)` (`sgesdd`).
    /// - Throws: ``TensorError/lapackFailure(routine:info:shape:)``, e.g. when it does not converge.
    public static func svd(_ matrix: Tensor) throws -> (u: Tensor, singularValues: Tensor, vt: Tensor) {
        precondition(matrix.rank == 2, "SVD of a \(matrix.shape) tensor: expected a matrix")
        let (m, n) = (matrix.shape[0], matrix.shape[1])
        let k = Swift.min(m, n)
        var a = matrix.values
        var s = [Float](repeating: 0, count: k)
        var u = [Float](repeating: 0, count: m * k)
        var vt = [Float](repeating: 0, count: k * n)
        let info = a.withUnsafeMutableBufferPointer { a in
            LAPACKE_sgesdd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "S")), Int32(m), Int32(n), a.start, Int32(n),
                           &s, &u, Int32(k), &vt, Int32(n))
        }
        guard info == 0 else { throw TensorError.lapackFailure(routine: "sgesdd", info: info, shape: matrix.shape) }
        return (Tensor(shape: [m, k], values: u), Tensor(shape: [k], values: s), Tensor(shape: [k, n], values: vt))
    }
}
