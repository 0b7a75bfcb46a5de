import Foundation

/// A flag set from one thread (a task's cancellation handler) and read from another (blocking
/// work polling it). `@unchecked Sendable`: `value` is only touched under `lock`.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    public init() {}

    public func set() {
        lock.withLock { value = true }
    }

    @Sendable public func isSet() -> Bool {
        lock.withLock { value }
    }
}

extension CancellationFlag {
    /// Runs blocking `body` on a new thread, so it never holds a thread of Swift's cooperative
    /// pool, and resumes with its result; cancelling the calling task sets the flag `body` polls.
    public static func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable (CancellationFlag) throws -> Result) async throws -> Result {
        let flag = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                Thread { continuation.resume(with: Swift.Result { try body(flag) }) }.start()
            }
        } onCancel: {
            flag.set()
        }
    }
}
