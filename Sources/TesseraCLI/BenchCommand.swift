import ArgumentParser

/// `tessera bench …`: speed measurements, each printed beside a baseline measured in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed against baselines taken in the same run (use a release build).",
        subcommands: [TensorBenchCommand.self, ModelBenchCommand.self, TransportBenchCommand.self, AggregateBenchCommand.self,
                      DataBenchCommand.self, FederationBenchCommand.self, TrainBenchCommand.self]
    )
}
