import ArgumentParser
import Reporting

/// `tessera bench tensor`: the tensor engine against cblas, memcpy and the sgemm peak.
struct TensorBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensor",
        abstract: "Benchmark matmul, elementwise kernels, tape overhead and a LLaMA-style block."
    )

    @Option(help: "Output format: text or json (default: text).")
    var format: ResultsTable.Format = .text

    func run() throws {
    }
}

extension ResultsTable.Format: ExpressibleByArgument {}
