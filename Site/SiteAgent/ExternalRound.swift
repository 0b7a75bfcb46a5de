import Foundation
import Model
import PlanBinding
import Protocols
import Security
import Subprocesses
import Training
#if canImport(Glibc)
import Glibc
#endif

/// One round's work handed to an external trainer command (`[training] command`): a GPU cluster's
/// HF transformers + PEFT job, say, for a model too large to train here (ARCHITECTURE.md, "Beyond
/// one machine"). The agent writes the job (``ExternalTrainerJob``), runs the command with the
/// job file's path as its last argument, and builds the update from the command's output under
/// the same privacy guard as ``LocalRound``: only the plan's upload tensors, at their shapes.
///
/// The command's standard output and error go to `trainer.log` in the round's directory; lines
/// there that are JSON objects with `step` and `loss` are shown as training progress.
/// A rerun of the same round passes the same job, checkpoint directory included, so a trainer
/// that checkpoints resumes after the agent restarts.
public struct ExternalRound: Sendable {
    public var command: [String]
    public var job: ExternalTrainerJob
    public var privacyGuard: PrivacyGuard
    /// The round's directory for the job, the adapters and `trainer.log`.
    public var directory: URL

    /// Seconds a stopping trainer gets between SIGTERM and SIGKILL.
    public static let stopGrace: Double = 30

    public init(command: [String], plan: TrainingPlan, round: Int, baseDirectory: URL, baseDigest: SHA256.Digest,
                data: SiteConfiguration.DataDirectories, threads: Int, privacyGuard: PrivacyGuard, directory: URL, checkpointDirectory: URL) {
        self.command = command
        self.job = ExternalTrainerJob(round: round, site: privacyGuard.site, plan: plan, baseModel: baseDirectory, baseDigest: baseDigest,
                                      data: data, threads: threads, directory: directory, checkpointDirectory: checkpointDirectory)
        self.privacyGuard = privacyGuard
        self.directory = directory
    }

    public var jobFile: URL { directory.appendingPathComponent(ExternalTrainerJob.fileName) }
    public var logFile: URL { directory.appendingPathComponent("trainer.log") }
    var pidFile: URL { directory.appendingPathComponent("trainer.pid") }

    /// Hands the round to the command and builds the update from what it wrote.
    /// - Parameters:
    ///   - globalAdapter: the round's global adapter (the plan's global tensors).
    ///   - onStep: called with each progress line the command prints.
    ///   - shouldStop: polled while the command runs; true stops it (SIGTERM, then SIGKILL after
    ///     ``stopGrace`` seconds) and ends with `CancellationError`.
    /// - Throws: ``PrivacyGuardError`` and `TrainingPlanError` for a plan this site refuses (checked
    ///   against the base model's `config.json`, without loading its weights),
    ///   ``SiteAgentError/externalTrainerFailed(command:status:log:lastLines:)``,
    ///   ``SiteAgentError/externalTrainerOutput(file:reason:)``, `ModelError` for an unreadable
    ///   `config.json`, `CancellationError`.
    public func run(globalAdapter: [NamedTensor], onStep: (LocalTrainer.StepRecord) -> Void = { _ in },
                    shouldStop: () -> Bool = { false }) throws -> LocalRound.Outcome {
        let plan = job.plan
        try privacyGuard.checkPlan(plan, base: try BaseModelDescription(modelDirectory: URL(fileURLWithPath: job.baseModel)))
        let output = URL(fileURLWithPath: job.outputDirectory)
        try AtomicFile.createDirectory(directory)
        stopLeftoverTrainer()  // before its files are replaced
        try? FileManager.default.removeItem(at: output)  // try?: absent unless an earlier run was cut short
        try ExternalTrainerJob.writeAdapter(globalAdapter, plan: plan, to: URL(fileURLWithPath: job.globalAdapter))
        // Readable by a trainer that runs as another user (a cluster's job); it holds paths and the plan, no secret.
        try AtomicFile.write(Array(try WireJSON.encode(job)), to: jobFile, permissions: 0o644, replacing: true)
        let status = try runCommand(onStep: onStep, shouldStop: shouldStop)
        guard status == 0 else {
            let lines = ((try? String(contentsOf: logFile, encoding: .utf8)) ?? "").split(separator: "\n").suffix(5).joined(separator: "\n")
            throw SiteAgentError.externalTrainerFailed(command: command.joined(separator: " "), status: status, log: logFile.path, lastLines: lines)
        }
        return try outcome(reading: output)
    }

    /// The update and metrics from the command's output directory.
    func outcome(reading output: URL) throws -> LocalRound.Outcome {
        let plan = job.plan
        let metricsFile = output.appendingPathComponent(ExternalTrainerJob.metricsFileName)
        let bytes: Data
        do {
            bytes = try Data(contentsOf: metricsFile)
        } catch {
            throw SiteAgentError.externalTrainerOutput(file: metricsFile.path, reason: "missing or unreadable (\(error.localizedDescription))")
        }
        var metrics: [String: Double]
        do {
            metrics = try JSONDecoder().decode([String: Double].self, from: bytes)
        } catch let DecodingError.typeMismatch(_, context) where !context.codingPath.isEmpty {
            throw SiteAgentError.externalTrainerOutput(file: metricsFile.path, reason: "\(context.codingPath[0].stringValue) is not a number")
        } catch {
            throw SiteAgentError.externalTrainerOutput(file: metricsFile.path, reason: "not a JSON object of numbers")
        }
        guard let examples = metrics.removeValue(forKey: ExternalTrainerJob.examplesMetric), examples >= 1, examples == examples.rounded(),
              examples < Double(Int32.max) else {
            throw SiteAgentError.externalTrainerOutput(
                file: metricsFile.path, reason: "\(ExternalTrainerJob.examplesMetric) must be the count (≥ 1) of distinct examples trained on")
        }
        let drawn = Double(plan.schedule.steps) * Double(plan.schedule.batchSize)
        guard examples <= drawn else {
            // The aggregator would refuse the upload: say so here, naming the trainer's file.
            throw SiteAgentError.externalTrainerOutput(
                file: metricsFile.path, reason: "\(ExternalTrainerJob.examplesMetric) is \(Int(examples)), more than the round draws "
                    + "(\(plan.schedule.steps) steps × batch size \(plan.schedule.batchSize) = \(Int(drawn)))")
        }

        let written = try ExternalTrainerJob.readAdapter(in: output)
        let global = Set(plan.tensors.global.map(\.name))
        if let stray = written.first(where: { !global.contains($0.name) }) {
            throw SiteAgentError.externalTrainerOutput(file: output.path, reason: "tensor \(stray.name) is not in the plan's global adapter")
        }
        let byName = Dictionary(uniqueKeysWithValues: written.map { ($0.name, $0) })
        let tensors = try plan.tensors.upload.map { spec in
            guard let tensor = byName[spec.name] else {
                throw SiteAgentError.externalTrainerOutput(file: output.path, reason: "tensor \(spec.name) of the plan's upload list is missing")
            }
            guard tensor.values.allSatisfy(\.isFinite) else {
                throw SiteAgentError.externalTrainerOutput(file: output.path, reason: "tensor \(spec.name) holds NaN or infinite values")
            }
            return tensor
        }
        let container = DeltaContainer(
            header: .init(round: job.round, site: job.site, baseDigest: job.baseDigest, sampleCount: Int(examples),
                          encoding: plan.wire.encoding, metrics: metrics),
            tensors: tensors)
        try privacyGuard.checkContainer(container, plan: plan, round: job.round, baseDigest: job.baseDigest)
        return LocalRound.Outcome(container: container, metrics: metrics, dataNotes: [])
    }

    /// Runs the command to its exit, relaying progress and honouring `shouldStop`.
    /// - Returns: its exit status (128 + the signal's number when a signal ended it).
    private func runCommand(onStep: (LocalTrainer.StepRecord) -> Void, shouldStop: () -> Bool) throws -> Int32 {
        // A bare name is looked up on PATH by env.
        let (executable, arguments) = command[0].contains("/") ? (command[0], Array(command.dropFirst())) : ("/usr/bin/env", command)
        let process: BackgroundProcess
        do {
            process = try BackgroundProcess(name: "trainer", executable: URL(fileURLWithPath: executable), arguments: arguments + [jobFile.path],
                                            log: logFile, environment: ["TESSERA_JOB": jobFile.path], currentDirectory: directory,
                                            appending: true)
        } catch {
            throw SiteAgentError.externalTrainerFailed(command: command.joined(separator: " "), status: -1, log: logFile.path,
                                                       lastLines: "cannot start it: \(error.localizedDescription)")
        }
        try? Data("\(process.processIdentifier)\n".utf8).write(to: pidFile)  // try?: only used to stop a leftover trainer
        defer { try? FileManager.default.removeItem(at: pidFile) }

        let tail = LogTail(logFile, from: process.logOffset)
        while process.isRunning {
            tail.newLines().forEach { Self.progress(in: $0).map(onStep) }
            if shouldStop() {
                process.stop(grace: Self.stopGrace)
                throw CancellationError()
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.waitUntilExit()
        tail.newLines(includingUnterminated: true).forEach { Self.progress(in: $0).map(onStep) }
        return process.exitStatus
    }

    /// A progress line: a JSON object with an integer `step` and a numeric `loss` (and, if given,
    /// `learning_rate`, `gradient_norm`, `tokens_per_second`).
    static func progress(in line: Data) -> LocalTrainer.StepRecord? {
        guard line.first == UInt8(ascii: "{"),
              let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any],  // try?: other lines are plain output
              let step = object["step"] as? Int, let loss = (object["loss"] as? NSNumber)?.floatValue else { return nil }
        func number(_ key: String) -> Double {
            let value = (object[key] as? NSNumber)?.doubleValue ?? 0
            return value.isFinite && abs(value) < 1e12 ? value : 0  // the trainer's figures are shown, never trusted
        }
        return LocalTrainer.StepRecord(step: step, loss: loss, components: [:], learningRate: Float(number("learning_rate")),
                                       gradientNorm: Float(number("gradient_norm")), tokensPerSecond: number("tokens_per_second"),
                                       seconds: number("seconds"))
    }

    /// Stops a trainer a killed agent left running on this round's job, so that two never write
    /// the same checkpoint. The recorded process (with its process group) is only signalled while
    /// its command line or environment still names this job file.
    private func stopLeftoverTrainer() {
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),  // try?: no file, no leftover
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return }
        func namesJob() -> Bool {
            // Its arguments name the job, or (a wrapper that exec'd without them) its TESSERA_JOB does.
            let expected = [jobFile.path, "TESSERA_JOB=" + jobFile.path]
            return ["cmdline", "environ"].contains { file in
                guard let fields = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/\(file)")) else { return false }  // try?: gone, or not ours
                return fields.split(separator: 0).contains { expected.contains(String(decoding: $0, as: UTF8.self)) }
            }
        }
        if namesJob() { BackgroundProcess.stop(pid, grace: Self.stopGrace, isRunning: namesJob) }
        try? FileManager.default.removeItem(at: pidFile)
    }
}

/// The lines appended to the trainer's log since the command started, read as they come.
private final class LogTail {
    private let handle: FileHandle?
    private var pending = Data()

    init(_ file: URL, from offset: UInt64) {
        handle = try? FileHandle(forReadingFrom: file)  // try?: an unreadable log only loses progress lines
        try? handle?.seek(toOffset: offset)  // try?: a failed seek re-reads earlier lines, which only repeats progress
    }

    deinit { try? handle?.close() }  // try?: read-only

    /// The longest unterminated rest kept: a trainer that redraws a progress bar without ever
    /// ending a line must not grow it forever (its JSON lines are far shorter).
    static let maximumPending = 1 << 20

    /// The complete lines written since the last call (and the unterminated rest, at the end). A
    /// carriage return ends a line too, as progress bars redraw with it.
    func newLines(includingUnterminated: Bool = false) -> [Data] {
        if let data = try? handle?.readToEnd() { pending.append(data) }  // try?: as in init
        var lines: [Data] = []
        var start = pending.startIndex
        for index in pending.indices where pending[index] == UInt8(ascii: "\n") || pending[index] == UInt8(ascii: "\r") {
            if index > start { lines.append(pending[start..<index]) }
            start = index + 1
        }
        pending = Data(pending[start...])
        if includingUnterminated, !pending.isEmpty {
            lines.append(pending)
            pending = Data()
        } else if pending.count > Self.maximumPending {
            pending = Data()
        }
        return lines
    }
}
