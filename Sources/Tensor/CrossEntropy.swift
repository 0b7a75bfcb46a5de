import Foundation

/// Cross-entropy of logits against integer targets, fused with log-softmax, as PyTorch's
/// `F.cross_entropy(logits, targets, ignore_index=-100)` with mean reduction.
///
/// Legend: `M` rows (tokens), `V` classes (vocabulary). `logits (M, V)`, `targets (M)`.
/// `loss = (1/n) Σ_{m counted} (logsumexp(x_m) − x_m[t_m])`, `n` = rows whose target is not the
/// ignore index. Forward caches each row's `logsumexp (M)`; backward recomputes the softmax from it:
/// `dx_m = dloss/n · (softmax(x_m) − onehot(t_m))` for counted rows, 0 for ignored ones.
/// With no counted row the loss is 0 (PyTorch gives NaN; a batch with no assistant tokens should
/// not poison training).
public enum CrossEntropy {
    /// The target that marks a row as not counted (PyTorch's and HF's `-100`).
    public static let ignoreIndex = -100
}

extension Tensor {
    /// Mean cross-entropy of these `(…, V)` logits against `targets` (one per row; `-100` ignores
    /// the row).
    /// - Precondition: one target per row; counted targets are in `0..<V`.
    public func crossEntropy(targets: [Int]) -> Tensor {
        let classes = shape.last ?? 1, rows = count / Swift.max(classes, 1)
        precondition(targets.count == rows, "cross-entropy: \(targets.count) targets for \(rows) rows of \(shape)")
        precondition(targets.allSatisfy { $0 == CrossEntropy.ignoreIndex || (0..<classes).contains($0) },
                     "cross-entropy: a target is outside 0..<\(classes)")
        // Rows are independent: each chunk of rows writes its own log-sums and losses, and the
        // losses are summed in row order afterwards, so the result does not depend on the cores.
        var logSums = [Float](repeating: 0, count: rows)
        var losses = [Float](repeating: 0, count: rows)
        values.withUnsafeBufferPointer { x in
            logSums.withUnsafeMutableBufferPointer { logSums in
                losses.withUnsafeMutableBufferPointer { losses in
                    Parallel.forEachChunk(rows, chunk: CrossEntropy.rowsPerChunk(classes: classes)) { range in
                        let (logSums, losses) = (logSums, losses)
                        var scratch = Tensor.uninitializedValues(count: classes)
                        scratch.withUnsafeMutableBufferPointer { scratch in
                            for row in range where targets[row] != CrossEntropy.ignoreIndex {
                                let base = row * classes
                                logSums[row] = Softmax.row(x.start + base, scratch.start, count: classes)
                                losses[row] = logSums[row] - x[base + targets[row]]
                            }
                        }
                    }
                }
            }
        }
        var total: Double = 0
        for row in 0..<rows where targets[row] != CrossEntropy.ignoreIndex { total += Double(losses[row]) }
        let counted = targets.count { $0 != CrossEntropy.ignoreIndex }
        let loss = Tensor(scalar: counted == 0 ? 0 : Float(total / Double(counted)))
        return loss.recorded(operation: "cross-entropy", from: [self]) { dLoss in
            guard counted > 0 else { return }
            let scale = dLoss[0] / Float(counted)
            // Every element is written (ignored rows as zeros), so the buffer starts uninitialized.
            var gradient = Tensor.uninitializedValues(count: rows * classes)
            self.values.withUnsafeBufferPointer { x in
                gradient.withUnsafeMutableBufferPointer { dx in
                    Parallel.forEachChunk(rows, chunk: CrossEntropy.rowsPerChunk(classes: classes)) { range in
                        for row in range {
                            let base = row * classes, logSum = logSums[row]
                            guard targets[row] != CrossEntropy.ignoreIndex else {
                                (dx.start + base).update(repeating: 0, count: classes)
                                continue
                            }
                            // Row pointers: `base + i` would be overflow-checked and keep the loop scalar.
                            let xRow = x.start + base, dxRow = dx.start + base
                            for i in 0..<classes { dxRow[i] = scale * FastMath.exp(xRow[i] - logSum) }
                            dx[base + targets[row]] -= scale
                        }
                    }
                }
            }
            self.accumulateGradient(gradient)
        }
    }
}

extension CrossEntropy {
    /// Rows per parallel chunk: about ``Parallel/elementChunk`` logits.
    static func rowsPerChunk(classes: Int) -> Int { Swift.max(1, Parallel.elementChunk / Swift.max(classes, 1)) }
}
