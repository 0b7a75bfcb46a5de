import Foundation

/// Runs a program for a benchmark's baseline (PyTorch, Flower, `openssl speed`, a child measuring
/// its own peak memory) and collects what it prints.
enum ChildProcess {
    /// The exit status and standard output of `executable arguments`, waiting for it to finish.
    /// - Parameter showsErrors: whether its standard error goes to ours (else it is discarded).
    static func run(_ executable: String, _ arguments: [String], showsErrors: Bool = false) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        if !showsErrors { process.standardError = FileHandle.nullDevice }
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
