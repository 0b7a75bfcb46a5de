import Foundation

/// Splits independent work items across the machine's cores. Each item must write only its own
/// region of memory, so results are identical for any number of threads. An item may call BLAS
/// only with GEMMs of at most ``MatMul/singleThreadedWork``, which OpenBLAS runs on the calling
/// thread: larger ones would start OpenBLAS's own threads against these (attention ran 7× slower
/// that way), and switching its global thread count around such work made results depend on
/// what other threads were doing.
enum Parallel {
    /// Calls `body(i)` for `i` in `0..<count`, concurrently when there are several cores and the
    /// process may use more than one: ``BLAS/threads`` is its thread budget (`--threads`), so one
    /// of several training processes sharing the cores keeps to its own. A ``DataParallel`` shard
    /// keeps to its own thread.
    static func forEach(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1, ProcessInfo.processInfo.activeProcessorCount > 1, BLAS.threads > 1, !DataParallel.isInShard else {
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
