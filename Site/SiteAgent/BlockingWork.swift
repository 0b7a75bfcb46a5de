import Foundation

/// Runs blocking work (training, evaluation, hashing) on a thread of its own, so it never holds a
/// thread of Swift's cooperative pool, and turns task cancellation into a flag the work polls.
enum BlockingWork {
    /// Runs `body` on a new thread; `body` receives a function that answers whether the calling
    /// task was cancelled.
    static func run<Result: Sendable>(_ body: @escaping @Sendable (_ isCancelled: @escaping @Sendable () -> Bool) throws -> Result) async throws -> Result {
        let flag = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                Thread { continuation.resume(with: Swift.Result { try body(flag.isSet) }) }.start()
            }
        } onCancel: {
            flag.set()
        }
    }
}

/// A flag set from one thread and read from another. `@unchecked Sendable`: `value` is only
/// touched under `lock`.
private final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() {
        lock.withLock { value = true }
    }

    @Sendable func isSet() -> Bool {
        lock.withLock { value }
    }
}
