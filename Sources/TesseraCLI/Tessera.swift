import ArgumentParser

/// `tessera`: the operator's, auditor's and ML engineer's command line.
@main
struct Tessera: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Federated LoRA fine-tuning of a medical vision-language model across hospitals.",
        discussion: "Today: benchmarks of the tensor engine (`tessera bench tensor`).",
        subcommands: [BenchCommand.self]
    )
}
