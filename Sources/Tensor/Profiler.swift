import Foundation

/// Where a training step's time goes, per operation, forward and backward: what
/// `tessera bench model` prints so the next optimisation is obvious.
///
/// Off by default (then it costs one branch per operation). While on, each operation's forward
/// time is the time since the previous operation on the same thread finished (so glue code
/// between operations is charged to the next one), and each backward rule is timed around its
/// call. With ``DataParallel`` shards the figures are thread time, summed over the shards.
public final class Profiler: @unchecked Sendable {
    // @unchecked: every access takes `lock`.
    public struct Entry: Sendable {
        public var calls = 0
        public var seconds = 0.0
    }

    /// The profiler the tensor engine reports to.
    public static let shared = Profiler()

    private let lock = NSLock()
    private var enabled = false
    /// When each thread's last operation finished (or its region started).
    private var lastMarks: [pthread_t: UInt64] = [:]
    private var forward: [String: Entry] = [:]
    private var backward: [String: Entry] = [:]

    /// Starts collecting, forgetting earlier figures.
    public func start() {
        lock.withLock {
            enabled = true
            forward = [:]
            backward = [:]
            lastMarks = [pthread_self(): DispatchTime.now().uptimeNanoseconds]
        }
    }

    /// Stops collecting and returns the figures per operation.
    public func stop() -> (forward: [String: Entry], backward: [String: Entry]) {
        lock.withLock {
            enabled = false
            return (forward, backward)
        }
    }

    /// Marks the start of a region that is not an operation (a data loader, an optimizer step, a
    /// shard's thread), so its time is not charged to the next operation on this thread.
    public func resetMark() {
        lock.withLock { lastMarks[pthread_self()] = DispatchTime.now().uptimeNanoseconds }
    }

    var isEnabled: Bool { lock.withLock { enabled } }

    func recordForward(_ operation: String) {
        lock.withLock {
            guard enabled else { return }
            let now = DispatchTime.now().uptimeNanoseconds, thread = pthread_self()
            forward[operation, default: Entry()].calls += 1
            forward[operation, default: Entry()].seconds += Double(now - (lastMarks[thread] ?? now)) / 1e9
            lastMarks[thread] = now
        }
    }

    func recordBackward(_ operation: String, seconds: Double) {
        lock.withLock {
            backward[operation, default: Entry()].calls += 1
            backward[operation, default: Entry()].seconds += seconds
        }
    }
}
