import CBLAS
import Foundation

/// Splits independent work items across the machine's cores. Each item must write only its own
/// region of memory, so results are identical for any number of threads.
enum Parallel {
    /// Calls `body(i)` for `i` in `0..<count`, concurrently when there are several cores, for work
    /// that calls BLAS: BLAS runs single-threaded meanwhile, since its own threads would compete
    /// with these (measured: a 7× slower attention when both split the two cores). Switching
    /// OpenBLAS's thread count costs far more than an elementwise kernel: those use ``forEach(_:_:)``.
    static func forEachCallingBLAS(_ count: Int, _ body: (Int) -> Void) {
        let blasThreads = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(blasThreads) }
        forEach(count, body)
    }

    /// Calls `body(i)` for `i` in `0..<count`, concurrently when there are several cores.
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1, ProcessInfo.processInfo.activeProcessorCount > 1 else {
            for index in 0..<count { body(index) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let work = DisjointWork(body: body)
            DispatchQueue.concurrentPerform(iterations: count) { work.body($0) }
        }
    }

    /// Calls `body(range)` for consecutive ranges of `0..<count` of `chunk` items each (the last may
    /// be shorter), concurrently. The split depends only on `count` and `chunk`, never on the number
    /// of cores, so per-chunk partial sums reduced in chunk order give the same bits on any machine.
    static func forEachChunk(_ count: Int, chunk: Int, _ body: (Range<Int>) -> Void) {
        let chunks = (count + chunk - 1) / Swift.max(chunk, 1)
        forEach(chunks) { index in body((index * chunk)..<Swift.min(count, (index + 1) * chunk)) }
    }

    /// Elements per chunk for elementwise kernels: large enough that a chunk outweighs the cost of
    /// handing it to a thread (≈ µs), small enough to balance two cores on 100k-element tensors.
    static let elementChunk = 32_768

    /// The work closure handed to Dispatch's threads.
    // @unchecked Sendable: no lock; callers guarantee each index touches only its own memory
    // (the contract of `forEach`), and `concurrentPerform` returns only when all are done.
    private struct DisjointWork: @unchecked Sendable {
        let body: (Int) -> Void
    }
}
