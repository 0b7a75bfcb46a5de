import Foundation

/// A command-line peer nobody here wrote (`openssl s_client`, `curl`), run with a deadline.
enum ExternalTool {
    /// What one run printed and how it ended.
    struct Output {
        var status: Int32
        var wasKilledAtDeadline: Bool
        var standardOutput: String
        var standardError: String
        /// Both streams, for matching messages wherever the tool printed them.
        var combined: String { standardOutput + "\n" + standardError }
    }

    /// Runs `executable` with `arguments`, feeding `input` on standard input; kills it after
    /// `timeout` seconds (the test then fails on its output rather than hanging).
    static func run(_ executable: String, _ arguments: [String], input: String = "",
                    timeout: Double = 30) async throws -> Output {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // best effort: temp files
        let inputURL = directory.appendingPathComponent("stdin")
        let outputURL = directory.appendingPathComponent("stdout")
        let errorURL = directory.appendingPathComponent("stderr")
        try Data(input.utf8).write(to: inputURL)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // Files, not pipes: a full pipe cannot block the child.
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        let (status, reason): (Int32, Process.TerminationReason) = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: ($0.terminationStatus, $0.terminationReason)) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if process.isRunning { process.terminate() }
            }
        }
        return Output(status: status, wasKilledAtDeadline: reason == .uncaughtSignal,
                      standardOutput: String(decoding: try Data(contentsOf: outputURL), as: UTF8.self),
                      standardError: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self))
    }
}
