import Foundation

/// An external program (`sqlite3`, `python3`) run as an independent peer of the Ledger module.
enum CommandLineTool {
    /// What one run printed and how it ended.
    struct Output {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// Runs `executable` with `arguments`, feeding `input` on standard input, and waits for it.
    static func run(_ executable: String, _ arguments: [String], input: String = "") throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let inputPipe = Pipe(), outputPipe = Pipe(), errorPipe = Pipe()
        process.standardInput = inputPipe
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        try process.run()
        inputPipe.fileHandleForWriting.write(Data(input.utf8))
        try inputPipe.fileHandleForWriting.close()
        // Read before waiting, so a full pipe cannot block the child.
        let output = outputPipe.fileHandleForReading.readDataToEndOfFile()
        let error = errorPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, standardOutput: String(decoding: output, as: UTF8.self),
                      standardError: String(decoding: error, as: UTF8.self))
    }

    /// Runs SQL through the `sqlite3` command line on the database at `url`.
    @discardableResult
    static func sqlite3(_ sql: String, on url: URL) throws -> Output {
        let output = try run("sqlite3", ["-bail", url.path], input: sql)
        guard output.status == 0 else {
            throw ToolFailure(command: "sqlite3 \(url.lastPathComponent)", status: output.status, standardError: output.standardError)
        }
        return output
    }

    struct ToolFailure: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var standardError: String
        var description: String { "\(command) exited with \(status): \(standardError)" }
    }
}

extension Array where Element == UInt8 {
    /// An SQL blob literal, `X'…'`.
    var sqlBlob: String {
        "X'" + map { String(format: "%02x", $0) }.joined() + "'"
    }
}
