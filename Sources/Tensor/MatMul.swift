import CBLAS

/// Matrix products, all through OpenBLAS's `cblas_sgemm`; transposes are BLAS flags, never copies.
///
/// Legend: `M`, `N`, `K` the GEMM sizes (`C (M, N) = op(A) (M, K) · op(B) (K, N)`), `batch` the
/// product of leading dimensions. Backward of `C = op(A) op(B)`:
/// `dA += dC · op(B)ᵀ` (or `op(B) · dCᵀ` when A is stored transposed) and
/// `dB += op(A)ᵀ · dC` (or `dCᵀ · op(A)` when B is stored transposed), with `beta = 1`, so
/// gradients accumulate in place.
public enum MatMul {
    /// `c = alpha · op(a) · op(b) + beta · c`, row-major. `lda`, `ldb`, `ldc` default to the dense layout
    /// and may be larger to address a column block (one attention head inside a `(T, H·D)` row).
    @inline(__always)
    static func gemm(_ a: UnsafePointer<Float>, transposed transposeA: Bool,
                     _ b: UnsafePointer<Float>, transposed transposeB: Bool,
                     into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                     lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil, alpha: Float = 1, beta: Float = 0) {
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda ?? (transposeA ? m : k)),
                    b, Int32(ldb ?? (transposeB ? k : n)),
                    beta, c, Int32(ldc ?? n))
    }

    /// The largest `M·N·K` OpenBLAS runs on the calling thread: above `65536 ·
    /// GEMM_MULTITHREAD_THRESHOLD` (4 unless the library was built otherwise) it splits a GEMM over
    /// its own threads (its interface/gemm.c). At or under 100³ it also uses its small-matrix
    /// kernels, which skip packing.
    static let singleThreadedWork = 65_536 * 4

    /// ``gemm(_:transposed:_:transposed:into:m:n:k:lda:ldb:ldc:alpha:beta:)`` for skinny products
    /// (one of `M`, `N` small, as LoRA's rank): the long one of `C`'s dimensions is cut into blocks
    /// of at most ``singleThreadedWork``, which run on all cores, each on OpenBLAS's calling thread
    /// and its small-matrix kernels. OpenBLAS's own threaded path packs the whole long operand
    /// first: measured at `(2048, 672) · (672, 8)`, 0.48 ms as one call, 0.23 ms as blocks on 2
    /// cores. Each element of `C` comes from one block, and the blocks depend on the sizes alone,
    /// so results are the same for any number of threads. When even one row (or column) is over
    /// the limit, this is a single call.
    static func skinnyGEMM(_ a: UnsafePointer<Float>, transposed transposeA: Bool,
                           _ b: UnsafePointer<Float>, transposed transposeB: Bool,
                           into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                           lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil, alpha: Float = 1, beta: Float = 0) {
        let lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n), ldc = ldc ?? n
        let splitRows = m >= n
        let other = (splitRows ? n : m) * k
        guard other > 0, other <= singleThreadedWork else {
            gemm(a, transposed: transposeA, b, transposed: transposeB, into: c, m: m, n: n, k: k,
                 lda: lda, ldb: ldb, ldc: ldc, alpha: alpha, beta: beta)
            return
        }
        let long = splitRows ? m : n
        Parallel.forEachChunk(long, chunk: singleThreadedWork / other) { range in
            let (start, size) = (range.lowerBound, range.count)
            if splitRows {
                // Rows of C and of op(A): A's rows, or A's columns when it is stored transposed.
                gemm(a + (transposeA ? start : start * lda), transposed: transposeA, b, transposed: transposeB,
                     into: c + start * ldc, m: size, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc, alpha: alpha, beta: beta)
            } else {
                // Columns of C and of op(B): B's columns, or B's rows when it is stored transposed.
                gemm(a, transposed: transposeA, b + (transposeB ? start * ldb : start), transposed: transposeB,
                     into: c + start, m: m, n: size, k: k, lda: lda, ldb: ldb, ldc: ldc, alpha: alpha, beta: beta)
            }
        }
    }

    /// `c = alpha · op(a) · op(b) + beta · c` for a small `C` over a long `K` (LoRA's `dA`, `dB`):
    /// `K` is cut into blocks of at most ``singleThreadedWork``, each block's partial product is
    /// computed on its own core, and the partials are added in block order.
    static func reducingGEMM(_ a: UnsafePointer<Float>, transposed transposeA: Bool,
                             _ b: UnsafePointer<Float>, transposed transposeB: Bool,
                             into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                             lda: Int? = nil, ldb: Int? = nil, alpha: Float = 1, beta: Float = 0) {
        let lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n)
        let block = singleThreadedWork / Swift.max(m * n, 1)
        guard block > 0, k > block else {
            gemm(a, transposed: transposeA, b, transposed: transposeB, into: c, m: m, n: n, k: k,
                 lda: lda, ldb: ldb, alpha: alpha, beta: beta)
            return
        }
        let blocks = (k + block - 1) / block
        var partials = Tensor.uninitializedValues(count: blocks * m * n)
        partials.withUnsafeMutableBufferPointer { partials in
            Parallel.forEachChunk(k, chunk: block) { range in
                let start = range.lowerBound
                gemm(a + (transposeA ? start * lda : start), transposed: transposeA,
                     b + (transposeB ? start : start * ldb), transposed: transposeB,
                     into: partials.start + (start / block) * m * n, m: m, n: n, k: range.count,
                     lda: lda, ldb: ldb, ldc: n, alpha: alpha)
            }
            for i in 0..<(m * n) { c[i] = beta == 0 ? partials[i] : beta * c[i] + partials[i] }
            for index in 1..<blocks {
                let partial = partials.start + index * m * n
                for i in 0..<(m * n) { c[i] += partial[i] }
            }
        }
    }

    /// Accumulates the gradients of `C = op(A) · op(B)` (one matrix each) into `dA` and `dB`.
    @inline(__always)
    static func backward(dC: UnsafePointer<Float>, a: UnsafePointer<Float>, transposedA: Bool,
                         b: UnsafePointer<Float>, transposedB: Bool, m: Int, n: Int, k: Int,
                         dA: UnsafeMutablePointer<Float>?, dB: UnsafeMutablePointer<Float>?) {
        if let dA {
            if transposedA {
                // A is stored (K, M): dA = op(B) (K, N) · dCᵀ (N, M).
                gemm(b, transposed: transposedB, dC, transposed: true, into: dA, m: k, n: m, k: n, beta: 1)
            } else {
                // dA (M, K) = dC (M, N) · op(B)ᵀ (N, K).
                gemm(dC, transposed: false, b, transposed: !transposedB, into: dA, m: m, n: k, k: n,
                     ldb: transposedB ? k : n, beta: 1)
            }
        }
        if let dB {
            if transposedB {
                // B is stored (N, K): dB = dCᵀ (N, M) · op(A) (M, K).
                gemm(dC, transposed: true, a, transposed: transposedA, into: dB, m: n, n: k, k: m,
                     lda: n, ldb: transposedA ? m : k, beta: 1)
            } else {
                // dB (K, N) = op(A)ᵀ (K, M) · dC (M, N).
                gemm(a, transposed: !transposedA, dC, transposed: false, into: dB, m: k, n: n, k: m,
                     lda: transposedA ? m : k, beta: 1)
            }
        }
    }
}

extension Tensor {
    /// The matrix product `op(self) · op(other)` over the last two dimensions.
    ///
    /// `self`: `(…, M, K)` (or `(…, K, M)` when `transposeSelf`); `other`: `(K, N)` shared by every
    /// leading index, or `(…, K, N)` with the same leading dimensions as `self` (either possibly
    /// transposed). Result `(…, M, N)`. A shared 2-D `other` folds the leading dimensions into `M`,
    /// so the whole product is one GEMM.
    /// - Precondition: the inner sizes agree and leading dimensions match.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank >= 2 && (other.rank == 2 || other.rank == rank),
                     "matmul: cannot multiply \(shape) and \(other.shape)")
        let (rowsA, colsA) = (shape[rank - 2], shape[rank - 1])
        let (rowsB, colsB) = (other.shape[other.rank - 2], other.shape[other.rank - 1])
        let (m, k) = transposeSelf ? (colsA, rowsA) : (rowsA, colsA)
        let (kB, n) = transposeOther ? (colsB, rowsB) : (rowsB, colsB)
        let leading = Array(shape[..<(rank - 2)])
        precondition(k == kB && (other.rank == 2 || Array(other.shape[..<(rank - 2)]) == leading),
                     "matmul: cannot multiply \(shape)\(transposeSelf ? "ᵀ" : "") and \(other.shape)\(transposeOther ? "ᵀ" : "")")
        let batch = leading.elementCount
        // One GEMM when `other` is shared and `self` is not transposed: rows of every batch stack.
        let folded = other.rank == 2 && !transposeSelf
        let (gemmCount, gemmM) = folded ? (1, batch * m) : (batch, m)
        let strideA = m * k, strideB = other.rank == 2 ? 0 : k * n, strideC = m * n

        var y = Tensor.uninitializedValues(count: batch * m * n)
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { c in
                    for index in 0..<gemmCount {
                        MatMul.gemm(a.start + index * strideA, transposed: transposeSelf,
                                    b.start + index * strideB, transposed: transposeOther,
                                    into: c.start + index * strideC, m: gemmM, n: n, k: k)
                    }
                }
            }
        }
        let output = Tensor(shape: leading + [m, n], values: y)
        return output.recorded(operation: "matmul", from: [self, other]) { dy in
            let aValues = self.values, bValues = other.values
            var dA: [Float]? = self.requiresGradient ? [Float](repeating: 0, count: aValues.count) : nil
            var dB: [Float]? = other.requiresGradient ? [Float](repeating: 0, count: bValues.count) : nil
            dy.withUnsafeBufferPointer { dC in
                aValues.withUnsafeBufferPointer { a in
                    bValues.withUnsafeBufferPointer { b in
                        dA.withOptionalMutablePointer { dA in
                            dB.withOptionalMutablePointer { dB in
                                for index in 0..<gemmCount {
                                    MatMul.backward(
                                        dC: dC.start + index * strideC,
                                        a: a.start + index * strideA, transposedA: transposeSelf,
                                        b: b.start + index * strideB, transposedB: transposeOther,
                                        m: gemmM, n: n, k: k,
                                        dA: dA.map { $0 + index * strideA }, dB: dB.map { $0 + index * strideB })
                                }
                            }
                        }
                    }
                }
            }
            if let dA { self.accumulateGradient(dA) }
            if let dB { other.accumulateGradient(dB) }
        }
    }

    /// A linear layer, `y = x · Wᵀ + b` (PyTorch's `nn.Linear`).
    ///
    /// `x`: `(…, in)`; `weight`: `(out, in)`; `bias`: `(out)` or nil. Result `(…, out)`.
    /// One GEMM with B transposed; backward `dx += dy · W`, `dW += dyᵀ · x`, `db += Σ_rows dy`.
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        let inputs = shape.last ?? 0
        precondition(weight.rank == 2 && weight.shape[1] == inputs,
                     "linear: input \(shape) does not fit weight \(weight.shape)")
        let outputs = weight.shape[0]
        precondition(bias == nil || bias?.shape == [outputs], "linear: bias \(bias?.shape ?? []) for \(outputs) outputs")
        let rows = count / Swift.max(inputs, 1)
        var y = Tensor.uninitializedValues(count: rows * outputs)
        y.withUnsafeMutableBufferPointer { y in
            if let bias {
                bias.values.withUnsafeBufferPointer { b in
                    for row in 0..<rows { (y.start + row * outputs).update(from: b.start, count: outputs) }
                }
            }
            values.withUnsafeBufferPointer { x in
                weight.values.withUnsafeBufferPointer { w in
                    // y (rows, out) = x (rows, in) · Wᵀ (in, out) [+ bias rows already in y].
                    MatMul.gemm(x.start, transposed: false, w.start, transposed: true,
                                into: y.start, m: rows, n: outputs, k: inputs, beta: bias == nil ? 0 : 1)
                }
            }
        }
        let output = Tensor(shape: Array(shape.dropLast()) + [outputs], values: y)
        let inputsToRecord = bias.map { [self, weight, $0] } ?? [self, weight]
        return output.recorded(operation: "linear", from: inputsToRecord) { dy in
            LinearBackward.accumulate(dy: dy, x: self, weight: weight, bias: bias, rows: rows, inputs: inputs, outputs: outputs)
        }
    }
}

/// The backward rule of `y = x Wᵀ + b`, shared by ``Tensor/linear(weight:bias:)`` and the fused
/// low-rank layer: `dx += dy · W`, `dW += dyᵀ · x`, `db += Σ_rows dy`, each only where needed.
/// `productWeight`, when given, replaces `W`'s values in `dx` (the low-rank layer's merged weight).
enum LinearBackward {
    static func accumulate(dy: [Float], x: Tensor, weight: Tensor, bias: Tensor?, rows: Int, inputs: Int, outputs: Int,
                           productWeight: [Float]? = nil) {
        dy.withUnsafeBufferPointer { dy in
            if x.requiresGradient {
                (productWeight ?? weight.values).withUnsafeBufferPointer { w in
                    x.withGradient { dx in
                        // dx (rows, in) += dy (rows, out) · W (out, in).
                        MatMul.gemm(dy.start, transposed: false, w.start, transposed: false,
                                    into: dx.start, m: rows, n: inputs, k: outputs, beta: 1)
                    }
                }
            }
            if weight.requiresGradient {
                x.values.withUnsafeBufferPointer { xValues in
                    weight.withGradient { dW in
                        // dW (out, in) += dyᵀ (out, rows) · x (rows, in).
                        MatMul.gemm(dy.start, transposed: true, xValues.start, transposed: false,
                                    into: dW.start, m: outputs, n: inputs, k: rows, beta: 1)
                    }
                }
            }
            if let bias, bias.requiresGradient {
                bias.withGradient { db in
                    for row in 0..<rows {
                        for j in 0..<outputs { db[j] += dy[row * outputs + j] }
                    }
                }
            }
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// Runs `body` with a mutable pointer to the array's storage, or nil when there is no array.
    @inline(__always)
    mutating func withOptionalMutablePointer<R>(_ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
        guard var array = self else { return body(nil) }
        self = nil
        defer { self = array }
        return array.withUnsafeMutableBufferPointer { body($0.baseAddress) }
    }
}
