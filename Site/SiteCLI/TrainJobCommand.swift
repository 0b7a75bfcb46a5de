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
            script can run it on another host that sees the same paths.
            """)

    @Argument(help: ArgumentHelp("The job file the site agent wrote.", valueName: "JOB.json"))
    var job: String

    func run() throws {
        tessera_line_buffer_stdout()  // each step's line reaches the agent's log as it happens
        let job = try ExternalTrainerJob(contentsOf: URL(fileURLWithPath: job))
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase  // step, loss, learning_rate, …: the contract's progress line
        let outcome = try job.trainInProcess { record in
            // try?: a number JSON cannot hold (NaN) costs a progress line; the trainer stops on it anyway.
            if let line = try? encoder.encode(record) { print(String(decoding: line, as: UTF8.self)) }
        }
        for note in outcome.dataNotes { FileHandle.standardError.write(Data("training data: \(note)\n".utf8)) }
    }
}
