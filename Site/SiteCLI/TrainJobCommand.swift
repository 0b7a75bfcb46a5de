import ArgumentParser
import CStdio
import Foundation
import Protocols
import SiteAgent

/// `tessera-site train-job JOB.json`: Tessera's own trainer behind the external-trainer contract.
struct TrainJobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-job",
        abstract: "Train one round from an external-trainer job file, as `run` trains in process (the reference [training] command).",
        discussion: """
            Reads the job the agent wrote (docs/EXTERNAL_TRAINER.md), trains from its global adapter on the \
            site data it names, resuming from its checkpoint directory, evaluates on the test split, and \
            writes adapter_model.safetensors, adapter_config.json (objective_params.safetensors when the plan \
            has objective tensors) and metrics.json into its output directory. Prints a JSON line per step. \
            `[training] command = ["tessera-site", "train-job"]` runs rounds in a separate process; a wrapper \
            script can run it on another host that sees the same paths. SIGTERM or SIGINT (the agent \
            stopping) ends it at its next checkpoint, within 10 steps, with status 143 or 130: the next \
            run resumes there.
            """)

    @Argument(help: ArgumentHelp("The job file the site agent wrote.", valueName: "JOB.json"))
    var job: String

    func run() throws {
        tessera_line_buffer_stdout()  // each step's line reaches the agent's log as it happens
        let job = try ExternalTrainerJob(contentsOf: URL(fileURLWithPath: job))
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase  // step, loss, learning_rate, …: the contract's progress line
        let stop = StopRequest()
        let outcome: LocalRound.Outcome
        do {
            outcome = try job.trainInProcess(onStep: { record in
                // try?: a number JSON cannot hold (NaN) costs a progress line; the trainer stops on it anyway.
                if let line = try? encoder.encode(record) { print(String(decoding: line, as: UTF8.self)) }
            }, shouldStop: { stop.received != nil })
        } catch is CancellationError {
            let signal = stop.received ?? SIGTERM
            FileHandle.standardError.write(Data("stopped by signal \(signal) at a checkpoint; the next run resumes there\n".utf8))
            throw ExitCode(128 + signal)
        }
        for note in outcome.dataNotes { FileHandle.standardError.write(Data("training data: \(note)\n".utf8)) }
    }
}

/// SIGTERM and SIGINT, noted instead of ending the process, so that training stops at its next
/// checkpoint (the agent gives its trainer 30 s before SIGKILL).
private final class StopRequest: @unchecked Sendable {
    // @unchecked: `signalNumber` is read and written under `lock`; the sources are only kept.
    private let lock = NSLock()
    private var signalNumber: Int32?
    private var sources: [any DispatchSourceSignal] = []

    init() {
        // Blocked on this thread (which starts no process) until read: one that arrives before
        // libdispatch has registered its source waits for it instead of ending the process.
        var blocked = sigset_t()
        sigemptyset(&blocked)
        for number in [SIGTERM, SIGINT] { sigaddset(&blocked, number) }
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        for number in [SIGTERM, SIGINT] {
            #if canImport(Darwin)
            signal(number, SIG_IGN)  // Linux's libdispatch installs its own handler; SIG_IGN there would drop the signal
            #endif
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.withLock { self.signalNumber = number }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The signal received, if any.
    var received: Int32? { lock.withLock { signalNumber } }
}
