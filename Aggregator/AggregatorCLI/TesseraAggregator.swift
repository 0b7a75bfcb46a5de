import ArgumentParser
import Tensor

/// `tessera-aggregator`: the consortium's server and its operator commands on the state directory.
@main
struct TesseraAggregator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera-aggregator",
        abstract: "The Tessera aggregator: validates and merges site updates, publishes global adapters, keeps the ledger.",
        discussion: """
            Every command on the state directory takes --config FILE (see `tessera-aggregator config template`). `serve` runs the \
            HTTPS API; the other commands work on the state directory beside a running server, each change a \
            ledger entry committed with it.
            """,
        subcommands: [ServeCommand.self, CampaignCommand.self, RoundsCommand.self, SitesCommand.self, StatusCommand.self,
                      ConfigCommand.self]
    )

    static func main() async {
        BLAS.restartWithTunedSettingsIfNeeded()
        await main(nil)
    }
}

/// The option every state command takes.
struct ConfigOption: ParsableArguments {
    @Option(help: ArgumentHelp("The aggregator's configuration file (TOML).", valueName: "FILE"))
    var config: String
}
