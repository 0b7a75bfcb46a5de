import ArgumentParser
import CStdio
import Foundation
import Tensor

/// `tessera`: the operator's, auditor's and ML engineer's command line.
@main
struct Tessera: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Federated LoRA fine-tuning of a medical vision-language model across hospitals.",
        subcommands: [DemoCommand.self, ModelCommand.self, DataCommand.self, TrainCommand.self, EvalCommand.self, CACommand.self, AuditCommand.self, BenchCommand.self]
    )

    static func main() {
        BLAS.restartWithTunedSettingsIfNeeded()
        // A line at a time even into a file or a pipe: the benchmarks and the demo print a line per
        // run or round over many minutes, which a log should show as they happen.
        tessera_line_buffer_stdout()
        main(nil)
    }
}
