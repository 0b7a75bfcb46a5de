import Foundation

/// Where a training step's time goes, per operation, forward and backward: what
/// `tessera bench model` prints so the next optimisation is obvious.
///
/// Off by default (then it costs one branch per operation). While on, each operation's forward
/// time is the time since the previous operation finished (so glue code between operations is
/// charged to the next one), and each backward rule is timed around its call.
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
    private var lastMark: UInt64 = 0
    private var forward: [String: Entry] = [:]
    private var backward: [String: Entry] = [:]

    /// Starts collecting, forgetting earlier figures.
    public func start() {
        lock.withLock {
            enabled = true
            forward = [:]
            backward = [:]
            lastMark = DispatchTime.now().uptimeNanoseconds
        }
    }

    /// Stops collecting and returns the figures per operation.
    public func stop() -> (forward: [String: Entry], backward: [String: Entry]) {
        lock.withLock {
            enabled = false
            return (forward, backward)
        }
    }

    /// Marks the start of a region that is not an operation (a data loader, an optimizer step), so
    /// its time is not charged to the next operation.
    public func resetMark() {
        lock.withLock { lastMark = DispatchTime.now().uptimeNanoseconds }
    }

    var isEnabled: Bool { lock.withLock { enabled } }

    func recordForward(_ operation: String) {
        lock.withLock {
            guard enabled else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            forward[operation, default: Entry()].calls += 1
            forward[operation, default: Entry()].seconds += Double(now - lastMark) / 1e9
            lastMark = now
        }
    }

    func recordBackward(_ operation: String, seconds: Double) {
        lock.withLock {
            backward[operation, default: Entry()].calls += 1
            backward[operation, default: Entry()].seconds += seconds
        }
    }
}
