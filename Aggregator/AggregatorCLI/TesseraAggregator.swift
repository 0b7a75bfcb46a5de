import ArgumentParser

/// `tessera-aggregator`: the consortium's server and its operator commands on the state directory.
@main
struct TesseraAggregator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera-aggregator",
        abstract: "The Tessera aggregator: validates and merges site updates, publishes global adapters, keeps the ledger."
    )
}
