import Foundation

/// Runs blocking work (child processes, `Thread.sleep` polling, libcurl) on a thread of its own
/// and resumes with its result. Tests share one process and Swift's cooperative pool has one
/// thread per core: a test that blocks a pool thread for a minute starves every server and
/// long poll the other tests run on it.
public func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Swift.Result { try body() }) }.start()
    }
}

/// Waits up to `seconds` for `condition`, sleeping without holding a pool thread.
public func eventually(_ seconds: Double = 30, _ condition: () throws -> Bool) async throws -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try condition()
}

/// What ``waitUntil(_:seconds:poll:_:)`` gave up waiting for.
public struct TimedOut: Error, CustomStringConvertible {
    public let what: String
    public var description: String { "timed out waiting for \(what)" }
}

/// Blocks the calling thread until `condition` holds, polling every `poll` seconds for up to
/// `seconds`: for tests that already run on a thread of their own (``onOwnThread(_:)``).
/// - Throws: ``TimedOut`` naming `what`, or the condition's own error.
public func waitUntil(_ what: String, seconds: Double = 120, poll: Double = 0.1, _ condition: () throws -> Bool) throws {
    let end = Date().addingTimeInterval(seconds)
    while try !condition() {
        guard Date() < end else { throw TimedOut(what: what) }
        Thread.sleep(forTimeInterval: poll)
    }
}
