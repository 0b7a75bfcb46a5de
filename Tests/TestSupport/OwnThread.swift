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
