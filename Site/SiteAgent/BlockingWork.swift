import Foundation
import Transport

/// Runs blocking work (training, evaluation, hashing) on a thread of its own, so it never holds a
/// thread of Swift's cooperative pool, and turns task cancellation into a flag the work polls.
enum BlockingWork {
    /// Runs `body` on a new thread; `body` receives a function that answers whether the calling
    /// task was cancelled.
    static func run<Result: Sendable>(_ body: @escaping @Sendable (_ isCancelled: @escaping @Sendable () -> Bool) throws -> Result) async throws -> Result {
        try await CancellationFlag.onOwnThread { flag in try body(flag.isSet) }
    }
}
