import Foundation
import Protocols
import Security
@testable import SiteAgent
import Tensor
import Testing
import TestSupport
import Training

@Suite("External trainer")
struct ExternalRoundTests {
    static let siteProgram = builtProductsDirectory.appendingPathComponent("tessera-site").path

    static func round(_ fixture: SiteFixture, command: [String]) -> ExternalRound {
        ExternalRound(command: command, plan: fixture.plan, round: 1, baseDirectory: fixture.baseDirectory, baseDigest: fixture.baseDigest,
                      data: fixture.configuration.data, threads: 2,
                      privacyGuard: PrivacyGuard(site: SiteFixture.siteID, modulesToSaveAllowed: ["multi_modal_projector"]),
                      directory: fixture.directory.appendingPathComponent("external"),
                      checkpointDirectory: fixture.directory.appendingPathComponent("external-checkpoint"))
    }

    static func globalTensors(_ fixture: SiteFixture) throws -> [NamedTensor] {
        try DeltaContainer.decode(try fixture.initialGlobalAdapter().bytes, source: "global",
                                  expecting: .init(maximumDecompressedBytes: 1 << 26)).container.tensors
    }

    /// A `/bin/sh -c SCRIPT` command; the job file's path is `$1` in the script.
    static func shell(_ script: String) -> [String] { ["/bin/sh", "-c", script, "sh"] }

    /// Copies the global adapter to the output as the trained one, and writes `metrics`.
    static func passThrough(metrics: String) -> [String] {
        shell(#"d=$(dirname "$1"); mkdir -p "$d/output" && cp "$d"/global-adapter/* "$d/output/" && printf '%s' '\#(metrics)' > "$d/output/metrics.json""#)
    }

    @Test("a site agent handing its round to `tessera-site train-job` stores the update in-process training stores, byte for byte, with its progress")
    func agentWithTrainJob() async throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let global = try fixture.initialGlobalAdapter()
        let status = fixture.status(round: 1, state: .collecting, globalAdapterDigest: global.digest)
        func agent(_ configuration: SiteConfiguration) throws -> SiteAgent {
            let aggregator = FakeAggregator(ledger: fixture.ledger, site: SiteFixture.siteID, rounds: [], models: [global.digest: global.bytes])
            return try SiteAgentTests.agent(fixture, aggregator, configuration: configuration)
        }
        let inProcess = try agent(fixture.configuration)
        try await inProcess.participate(in: status)

        var configuration = fixture.configuration
        configuration.stateDirectory = fixture.directory.appendingPathComponent("state-external")
        configuration.trainerCommand = [Self.siteProgram, "train-job"]
        let external = try agent(configuration)
        try await external.participate(in: status)

        let expected = try #require(try inProcess.state.storedUpdate(1))
        #expect(try external.state.storedUpdate(1) == expected)
        #expect(try external.state.receipt(1) != nil)
        let metrics = try #require(try external.state.metrics(1))
        #expect(metrics == (try inProcess.state.metrics(1)))
        let log = try String(contentsOf: external.state.externalTrainerDirectory(1).appendingPathComponent("trainer.log"), encoding: .utf8)
        let steps = log.split(separator: "\n").compactMap { ExternalRound.progress(in: Data($0.utf8))?.step }
        #expect(steps == [1, 2])
    }

    @Test("a trainer that fails is reported with its exit status and last output lines; nothing is built")
    func failingTrainer() throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let command = Self.shell("echo 'loading the model' >&2; echo 'CUDA out of memory' >&2; exit 3")
        let work = Self.round(fixture, command: command)
        #expect(throws: SiteAgentError.externalTrainerFailed(command: command.joined(separator: " "), status: 3, log: work.logFile.path,
                                                             lastLines: "loading the model\nCUDA out of memory")) {
            try work.run(globalAdapter: try Self.globalTensors(fixture))
        }
        do {
            _ = try Self.round(fixture, command: ["/nonexistent/trainer"]).run(globalAdapter: try Self.globalTensors(fixture))
            Issue.record("a command that does not exist ran")
        } catch let SiteAgentError.externalTrainerFailed(command, status, _, lastLines) {
            #expect(command == "/nonexistent/trainer" && status == -1 && lastLines.hasPrefix("cannot start it: "))
        }
    }

    @Test("a stop request sends the trainer SIGTERM; a trainer a killed agent left on the job is stopped before the job runs again")
    func stopping() throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let global = try Self.globalTensors(fixture)
        let work = Self.round(fixture, command: Self.shell("trap 'echo stopped by SIGTERM >&2; exit 143' TERM; echo started >&2; while :; do sleep 0.05; done"))
        #expect(throws: CancellationError.self) {
            try work.run(globalAdapter: global, shouldStop: { Self.exists("started", in: work.logFile) })
        }
        // The trainer's process group gets the signal: the shell's own `sleep` ends too (the shell says "Terminated").
        let log = try String(contentsOf: work.logFile, encoding: .utf8)
        #expect(log.hasPrefix("started\n") && log.hasSuffix("stopped by SIGTERM\n"), "\(log)")

        // A wrapper that does not exec: the child it started in the background is stopped with it.
        let wrapper = Self.round(fixture, command: Self.shell("sleep 600 & echo $! > child.pid.part; mv child.pid.part child.pid; wait"))
        #expect(throws: CancellationError.self) {
            try wrapper.run(globalAdapter: global, shouldStop: {
                FileManager.default.fileExists(atPath: wrapper.directory.appendingPathComponent("child.pid").path)
            })
        }
        let child = try #require(pid_t(try String(contentsOf: wrapper.directory.appendingPathComponent("child.pid"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.exits(child), "the wrapper's child \(child) still runs")

        // The grace lasts while any of the group runs: a wrapper that dies at once does not cut short
        // the trainer it started, which takes a second to save after SIGTERM.
        let saving = Self.round(fixture, command: Self.shell(#"(trap 'sleep 1; echo saved > saved.txt; exit 0' TERM; touch ready; while :; do sleep 0.05; done) & wait"#))
        #expect(throws: CancellationError.self) {
            try saving.run(globalAdapter: global, shouldStop: {
                FileManager.default.fileExists(atPath: saving.directory.appendingPathComponent("ready").path)
            })
        }
        #expect(FileManager.default.fileExists(atPath: saving.directory.appendingPathComponent("saved.txt").path), "the trainer was killed before it saved")

        // Leftovers recorded in trainer.pid: one whose command line names the job file, one whose
        // TESSERA_JOB does (a wrapper that exec'd without passing the path on).
        for namesJob in ["argument", "environment"] {
            let leftover = Process()
            leftover.executableURL = URL(fileURLWithPath: "/bin/sh")
            leftover.arguments = ["-c", "while :; do sleep 0.05; done", "sh"] + (namesJob == "argument" ? [work.jobFile.path] : [])
            if namesJob == "environment" { leftover.environment = ["TESSERA_JOB": work.jobFile.path, "PATH": "/usr/bin:/bin"] }
            try leftover.run()
            try Data("\(leftover.processIdentifier)\n".utf8).write(to: work.directory.appendingPathComponent("trainer.pid"))
            let rerun = Self.round(fixture, command: Self.passThrough(metrics: #"{"examples": 1}"#))
            _ = try rerun.run(globalAdapter: global)
            #expect(Self.exits(leftover.processIdentifier), "the leftover trainer named by its \(namesJob) still runs")
            if leftover.isRunning { kill(leftover.processIdentifier, SIGKILL) }
            leftover.waitUntilExit()
            #expect(leftover.terminationReason == .uncaughtSignal && leftover.terminationStatus == SIGTERM)
        }
    }

    /// Whether `file` exists and holds `text`.
    static func exists(_ text: String, in file: URL) -> Bool {
        (try? String(contentsOf: file, encoding: .utf8))?.contains(text) == true  // try?: not written yet
    }

    /// Whether process `pid` is gone (or a zombie) within 5 s.
    static func exits(_ pid: pid_t) -> Bool { processExits(pid, within: 5) }

    @Test("the job names the plan, base, adapter, data and directories; a trainer's output is read back as the update")
    func jobAndOutput() throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let global = try Self.globalTensors(fixture)
        let work = Self.round(fixture, command: Self.passThrough(metrics: #"{"examples": 3, "eval.closed_accuracy": 0.5}"#))
        let outcome = try work.run(globalAdapter: global)

        let job = try ExternalTrainerJob(contentsOf: work.jobFile)
        #expect(job.plan == fixture.plan && job.round == 1 && job.site == SiteFixture.siteID && job.baseDigest == fixture.baseDigest)
        let data = fixture.configuration.data
        #expect(job.baseModel == fixture.baseDirectory.path && job.threads == 2)
        #expect(job.data == .init(labelled: data.labelled.path, reports: nil, unlabelled: nil, test: data.test.path, evaluationItems: 2))
        #expect(try ExternalTrainerJob.readAdapter(in: URL(fileURLWithPath: job.globalAdapter)) == global)
        let upload = Set(fixture.plan.tensors.upload.map(\.name))
        #expect(outcome.container.tensors == global.filter { upload.contains($0.name) })
        #expect(outcome.container.header.sampleCount == 3 && outcome.metrics == ["eval.closed_accuracy": 0.5])
    }

    @Test("a trainer's JSON lines with step and loss are relayed as progress while it runs; other lines are only logged")
    func progressLines() throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let copy = Self.passThrough(metrics: #"{"examples": 1}"#)[2]
        // After step 1 the trainer waits (10 s at most) for the agent to have relayed it: the
        // callback leaves a file. Without it the trainer notes that it went on unrelayed.
        let script = #"echo 'Loading checkpoint shards: 100%'; echo '{"step": 1, "loss": 2.5, "learning_rate": 0.001}'; "#
            + #"i=0; while [ ! -f relayed ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done; [ -f relayed ] || touch unrelayed; "#
            + #"echo '{"step": 2, "loss": 2.25}' >&2; "# + copy
        let work = Self.round(fixture, command: Self.shell(script))
        var seen: [(step: Int, loss: Float, learningRate: Float)] = []
        _ = try work.run(globalAdapter: try Self.globalTensors(fixture)) { record in
            seen.append((record.step, record.loss, record.learningRate))
            if record.step == 1 { FileManager.default.createFile(atPath: work.directory.appendingPathComponent("relayed").path, contents: nil) }
        }
        #expect(seen.map(\.step) == [1, 2] && seen.map(\.loss) == [2.5, 2.25] && seen.map(\.learningRate) == [0.001, 0])
        #expect(!FileManager.default.fileExists(atPath: work.directory.appendingPathComponent("unrelayed").path),
                "step 1 was relayed only after the trainer went on")
    }

    @Test("output without its example count, with a tensor the plan does not have, or without an upload tensor is refused by name")
    func badOutput() throws {
        let fixture = try SiteFixture()
        defer { fixture.remove() }
        let global = try Self.globalTensors(fixture)
        let output = fixture.directory.appendingPathComponent("external/output")
        func refusal(_ command: [String]) -> SiteAgentError? {
            do {
                _ = try Self.round(fixture, command: command).run(globalAdapter: global)
                return nil
            } catch {
                return error as? SiteAgentError
            }
        }
        guard case let .externalTrainerOutput(file, reason)? = refusal(Self.shell("true")) else {
            Issue.record("a trainer that wrote nothing was not refused")
            return
        }
        #expect(file == output.appendingPathComponent("metrics.json").path && reason.hasPrefix("missing or unreadable"))
        let noCount = "examples must be the count (≥ 1) of distinct examples trained on"
        #expect(refusal(Self.passThrough(metrics: #"{"eval.closed_accuracy": 0.5}"#))
                == .externalTrainerOutput(file: output.appendingPathComponent("metrics.json").path, reason: noCount))
        #expect(refusal(Self.passThrough(metrics: #"{"examples": 0}"#))
                == .externalTrainerOutput(file: output.appendingPathComponent("metrics.json").path, reason: noCount))
        let drawn = fixture.plan.schedule.steps * fixture.plan.schedule.batchSize
        #expect(refusal(Self.passThrough(metrics: "{\"examples\": \(drawn + 1)}"))
                == .externalTrainerOutput(file: output.appendingPathComponent("metrics.json").path,
                                          reason: "examples is \(drawn + 1), more than the round draws (\(fixture.plan.schedule.steps) steps × batch size \(fixture.plan.schedule.batchSize) = \(drawn))"))
        #expect(refusal(Self.passThrough(metrics: #"{"examples": 3, "note": "done"}"#))
                == .externalTrainerOutput(file: output.appendingPathComponent("metrics.json").path, reason: "note is not a number"))

        // The base model's weights where the adapter should be.
        let base = fixture.baseDirectory.appendingPathComponent("model.safetensors").path
        let firstBaseTensor = try #require(try SafetensorsFile(contentsOf: URL(fileURLWithPath: base)).names.first)
        let baseWeights = Self.shell(#"d=$(dirname "$1")/output; mkdir -p "$d" && cp '\#(base)' "$d/adapter_model.safetensors" && echo '{"examples": 3}' > "$d/metrics.json""#)
        #expect(refusal(baseWeights) == .externalTrainerOutput(file: output.path, reason: "tensor \(firstBaseTensor) is not in the plan's global adapter"))

        // An adapter holding only the projector.
        let projectorOnly = global.filter { !$0.name.contains(".lora_") }
        let adapterDirectory = fixture.directory.appendingPathComponent("projector-only")
        try ExternalTrainerJob.writeAdapter(projectorOnly, plan: fixture.plan, to: adapterDirectory)
        let partial = Self.shell(#"d=$(dirname "$1")/output; mkdir -p "$d" && cp '\#(adapterDirectory.path)'/* "$d/" && echo '{"examples": 3}' > "$d/metrics.json""#)
        let firstLoRA = try #require(fixture.plan.tensors.upload.first { $0.name.contains(".lora_") }?.name)
        #expect(refusal(partial) == .externalTrainerOutput(file: output.path, reason: "tensor \(firstLoRA) of the plan's upload list is missing"))

        // A diverged trainer's NaN.
        var diverged = global
        diverged[0].values[0] = .nan
        let divergedDirectory = fixture.directory.appendingPathComponent("diverged")
        try ExternalTrainerJob.writeAdapter(diverged, plan: fixture.plan, to: divergedDirectory)
        let nan = Self.shell(#"d=$(dirname "$1")/output; mkdir -p "$d" && cp '\#(divergedDirectory.path)'/* "$d/" && echo '{"examples": 3}' > "$d/metrics.json""#)
        #expect(refusal(nan) == .externalTrainerOutput(file: output.path, reason: "tensor \(global[0].name) holds NaN or infinite values"))
    }

    @Test("[training] command: a relative program resolves against the file, a bare name is kept for PATH, an empty list is refused")
    func configuration() throws {
        let file = URL(fileURLWithPath: "/etc/tessera/site.toml")
        func parse(_ command: String) throws -> [String]? {
            try SiteConfiguration(toml: SiteFixture.configurationText(baseModel: nil) + "\n[training]\ncommand = \(command)\n", file: file).trainerCommand
        }
        #expect(try parse(#"["bin/train-round", "--gpus", "4"]"#) == ["/etc/tessera/bin/train-round", "--gpus", "4"])
        #expect(try parse(#"["tessera-site", "train-job"]"#) == ["tessera-site", "train-job"])

        var configuration = try SiteConfiguration(toml: SiteFixture.configurationText(baseModel: nil), file: file)
        #expect(try configuration.checkTrainer() == "training: here, 2 threads")
        configuration.trainerCommand = ["/bin/sh", "train.sh"]
        #expect(try configuration.checkTrainer() == "training: handed to /bin/sh train.sh JOB.json (docs/EXTERNAL_TRAINER.md)")
        configuration.trainerCommand = ["/opt/none/train-round"]
        #expect(throws: SiteConfigurationError.missingPath(file: file.path, key: "training.command", path: "/opt/none/train-round",
                                                           expected: "an executable file")) { try configuration.checkTrainer() }
        configuration.trainerCommand = ["tessera-no-such-trainer"]
        #expect(throws: SiteConfigurationError.missingPath(file: file.path, key: "training.command", path: "tessera-no-such-trainer",
                                                           expected: "an executable on PATH")) { try configuration.checkTrainer() }
        #expect(throws: SiteConfigurationError.invalidValue(file: file.path, key: "training.command", value: "[]",
                                                            expected: #"the trainer program and its first arguments, e.g. ["/opt/tessera/train-round"]"#)) {
            try parse("[]")
        }
        #expect(throws: SiteConfigurationError.wrongType(file: file.path, key: "training.command",
                                                         expected: #"a list of strings, e.g. ["/opt/tessera/train-round"]"#)) {
            try parse(#""train.sh""#)
        }
    }
}
