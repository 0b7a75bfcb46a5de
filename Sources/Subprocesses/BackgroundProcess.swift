import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process whose standard output and error go to a log file: the demo's aggregator and
/// site agents, an external trainer, a test's server. `stop()` sends SIGTERM and waits, then
/// SIGKILL after a grace period; `killAbruptly()` is `kill -9`.
public final class BackgroundProcess: @unchecked Sendable {
    // @unchecked: `process` is only started in init; its other members are thread-safe reads and signals.
    public let name: String
    public let log: URL
    /// Where this run's output begins in the log (past what an earlier run left, when appending).
    public let logOffset: UInt64
    private let process = Process()

    /// Starts `executable arguments` with `environment` added to ours.
    /// - Parameters:
    ///   - appending: keep what the log holds and add this run's output after it (else it is emptied).
    ///   - currentDirectory: the child's working directory (default: ours).
    /// - Throws: the system's error when the log cannot be opened or the program cannot be started.
    public init(name: String, executable: URL, arguments: [String], log: URL, environment: [String: String] = [:],
                currentDirectory: URL? = nil, appending: Bool = false) throws {
        self.name = name
        self.log = log
        if !appending || !FileManager.default.fileExists(atPath: log.path) {
            guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: log.path])
            }
        }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }  // try?: the child holds its own descriptors
        logOffset = try handle.seekToEnd()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        try process.run()
        LiveProcesses.shared.add(self)
    }

    public var isRunning: Bool { process.isRunning }
    public var processIdentifier: pid_t { process.processIdentifier }
    /// The exit status, or 128 + the signal's number when a signal ended it (as a shell reports it).
    public var exitStatus: Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Blocks until the process has exited.
    public func waitUntilExit() { process.waitUntilExit() }

    /// SIGTERM, then SIGKILL if it has not exited after `grace` seconds; waits for the exit.
    public func stop(grace: Double = 10) {
        guard process.isRunning else { return }
        Self.stop(process.processIdentifier, grace: grace) { process.isRunning }
        process.waitUntilExit()
    }

    /// SIGTERM to `pid`, then SIGKILL if it is still running after `grace` seconds. A process
    /// that leads its own process group (as Foundation starts children) is signalled with its
    /// whole group, so a wrapper script's children stop with it, and the grace lasts until the
    /// last of them has exited (a wrapper that exits at once does not cut a trainer's checkpoint
    /// short).
    public static func stop(_ pid: pid_t, grace: Double, isRunning: () -> Bool) {
        let target = signalTarget(pid), group = target < 0
        // kill(−pgid, 0) succeeds while any member of the group remains.
        func running() -> Bool { isRunning() || (group && kill(target, 0) == 0) }
        kill(target, SIGTERM)
        let end = Date().addingTimeInterval(grace)
        while running() && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        if running() { kill(target, SIGKILL) }
    }

    /// What to signal for `pid`: its whole group when it leads one, else the process alone.
    static func signalTarget(_ pid: pid_t) -> pid_t { getpgid(pid) == pid ? -pid : pid }

    /// SIGKILL, as a crash or `kill -9` would, and waits for the exit.
    public func killAbruptly() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The log's text (for finding the listening port, and for error messages).
    public func output() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }  // try?: a log not yet written is empty

    /// The last `lines` lines of the log.
    public func tail(_ lines: Int = 15) -> String { output().split(separator: "\n").suffix(lines).joined(separator: "\n") }

    /// Waits up to `seconds` for a log line matching `prefix`, returning the rest of it.
    public func waitForLine(startingWith prefix: String, seconds: Double) -> String? {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let line = output().split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                return String(line.dropFirst(prefix.count))
            }
            guard process.isRunning else { return nil }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }
}

extension BackgroundProcess {
    /// Makes SIGINT, SIGTERM and SIGHUP stop every background process this one has started, each
    /// with its process group (Foundation starts children in groups of their own, which a
    /// terminal's Ctrl-C does not reach), then run `cleanup` and end this process by the same
    /// signal, as a shell expects (a loop of demos stops at Ctrl-C). One signal does it; more are
    /// ignored. A process started after the signal is stopped as it starts. Without this,
    /// interrupting `tessera demo` left its aggregator, site agents and trainers running.
    public static func stopAllOnInterrupt(cleanup: @escaping @Sendable () -> Void = {}) {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            #if canImport(Darwin)
            signal(signalNumber, SIG_IGN)  // Linux's libdispatch installs its own handler; SIG_IGN there would drop the signal
            #endif
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                guard let running = LiveProcesses.shared.interrupt() else { return }  // a second signal: the first one's work goes on
                // Every group gets SIGTERM at once, then each is awaited (polled: the main thread
                // may be waiting on the same processes) and killed if it outlasts the grace.
                for process in running { kill(signalTarget(process.processIdentifier), SIGTERM) }
                for process in running { stop(process.processIdentifier, grace: 5) { process.isRunning } }
                cleanup()
                fflush(nil)  // every output stream: what the demo printed reaches its log or terminal
                signal(signalNumber, SIG_DFL)
                var unblocked = sigset_t()
                sigemptyset(&unblocked)
                sigaddset(&unblocked, signalNumber)
                pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
                raise(signalNumber)
                _exit(128 + signalNumber)  // if the signal did not end it
            }
            source.resume()
            LiveProcesses.shared.keep(source)
        }
    }

    /// Whether an interrupt handler (``stopAllOnInterrupt(cleanup:)``) is stopping everything: the
    /// caller's own failure (a child it watched has gone) is then the interrupt's doing, and the
    /// handler exits with the signal's status when it is done.
    public static var isInterrupted: Bool { LiveProcesses.shared.isInterrupted }
}

/// The background processes started in this process (weakly), and the signal sources that stop them.
private final class LiveProcesses: @unchecked Sendable {
    // @unchecked: every member is read and written under `lock`.
    static let shared = LiveProcesses()
    private struct Entry { weak var process: BackgroundProcess? }
    private let lock = NSLock()
    private var entries: [Entry] = []
    private var sources: [any DispatchSourceSignal] = []
    private var interrupted = false

    /// Keeps `process`, or, once interrupted, stops its group at once (it started after the
    /// interrupt took its list).
    func add(_ process: BackgroundProcess) {
        let stopNow = lock.withLock {
            entries.removeAll { $0.process == nil }
            entries.append(Entry(process: process))
            return interrupted
        }
        if stopNow { kill(BackgroundProcess.signalTarget(process.processIdentifier), SIGTERM) }
    }

    func keep(_ source: any DispatchSourceSignal) {
        lock.withLock { sources.append(source) }
    }

    /// Marks the process interrupted: the processes still running, or nil when it already was.
    func interrupt() -> [BackgroundProcess]? {
        lock.withLock {
            guard !interrupted else { return nil }
            interrupted = true
            return entries.compactMap(\.process).filter(\.isRunning)
        }
    }

    var isInterrupted: Bool { lock.withLock { interrupted } }
}
