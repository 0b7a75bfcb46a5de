import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process the demo starts and stops (the aggregator, the site agents): its output goes
/// to a log file; `stop()` sends SIGTERM and waits, then SIGKILL after a grace period.
final class BackgroundProcess: @unchecked Sendable {
    let name: String
    let log: URL
    private let process = Process()

    /// Starts `executable arguments` with `environment` added to ours.
    init(name: String, executable: URL, arguments: [String], log: URL, environment: [String: String] = [:]) throws {
        self.name = name
        self.log = log
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try process.run()
    }

    var isRunning: Bool { process.isRunning }
    var exitStatus: Int32 { process.terminationStatus }

    /// SIGTERM, then SIGKILL if it has not exited after `grace` seconds.
    func stop(grace: Double = 10) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let end = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// SIGKILL, as a crash or `kill -9` would, and waits for the exit.
    func killAbruptly() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The log's text (for finding the listening port, and for error messages).
    func output() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }  // try?: a log not yet written is empty

    /// The last `lines` lines of the log.
    func tail(_ lines: Int = 15) -> String { output().split(separator: "\n").suffix(lines).joined(separator: "\n") }

    /// Waits up to `seconds` for a log line matching `prefix`, returning the rest of it.
    func waitForLine(startingWith prefix: String, seconds: Double) -> String? {
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
