import Foundation
import Testing
import TestSupport

/// `tessera train` killed with SIGKILL after a checkpoint and started again finishes with the same
/// adapter bytes as a run that was never interrupted (issue 9). Runs the real `tessera` binary.
struct TrainKillResumeTests {
    /// The `tessera` executable built beside this test bundle.
    static var tessera: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tessera")
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> Int32 {
        try runCapturingErrors(arguments).status
    }

    /// Runs `tessera` with `arguments`; its exit status and standard error (the progress lines).
    static func runCapturingErrors(_ arguments: [String]) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = tessera
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func killedTrainingResumesToTheSameAdapter() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.tessera.path), "\(Self.tessera.path) is not built")
        try await onOwnThread { try Self.killedTrainingRun() }
    }

    static func killedTrainingRun() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-kill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let data = work.appendingPathComponent("data").path, model = work.appendingPathComponent("model").path
        #expect(try Self.run(["data", "synth", "--out", data, "--sites", "1", "--images-per-site", "40", "--image-size", "16",
                              "--public-images", "60", "--test-items", "8", "--site-test-items", "8"]) == 0)
        #expect(try Self.run(["model", "pretrain", "--preset", "tiny", "--data", data, "--out", model, "--step-scale", "0.2"]) == 0)
        let site = "\(data)/sites/site-1/labelled/llava_instruct.json"
        func trainArguments(out: String, checkpoint: String) -> [String] {
            ["train", "--model", model, "--data", site, "--out", out, "--steps", "16", "--batch-size", "4",
             "--checkpoint", checkpoint, "--checkpoint-every", "4", "--threads", "1", "--seed", "7"]
        }
        // Uninterrupted.
        #expect(try Self.run(trainArguments(out: "\(work.path)/whole", checkpoint: "\(work.path)/whole-checkpoint")) == 0)

        // Killed after the step-9 line (a checkpoint was written at step 8), then started again.
        let process = Process()
        process.executableURL = Self.tessera
        process.arguments = trainArguments(out: "\(work.path)/resumed", checkpoint: "\(work.path)/resumed-checkpoint")
        let progress = Pipe()
        process.standardError = progress
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains("\"step\":9,") {
            let chunk = progress.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        // The checkpoint the kill left: step 8, or a later one if the run got further first.
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(work.path)/resumed-checkpoint/trainer_state.json")))
        let checkpointStep = try #require((state as? [String: Any])?["step"] as? Int)
        #expect(checkpointStep >= 8 && checkpointStep < 16, "checkpoint at step \(checkpointStep)")
        let resumedRun = try Self.runCapturingErrors(trainArguments(out: "\(work.path)/resumed", checkpoint: "\(work.path)/resumed-checkpoint"))
        #expect(resumedRun.status == 0, "\(resumedRun.errors)")
        // It went on from that checkpoint: its first step is the next (a run from scratch would
        // end with the same bytes, so the steps are what tell a resumption).
        let steps = resumedRun.errors.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: "\"step\":") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(steps.first == checkpointStep + 1 && steps.last == 16, "steps \(steps)")

        let whole = try Data(contentsOf: URL(fileURLWithPath: "\(work.path)/whole/adapter_model.safetensors"))
        let resumed = try Data(contentsOf: URL(fileURLWithPath: "\(work.path)/resumed/adapter_model.safetensors"))
        #expect(whole == resumed)
    }
}
