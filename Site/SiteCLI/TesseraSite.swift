import ArgumentParser
import Tensor

/// `tessera-site`: the site agent a hospital runs next to its data.
@main
struct TesseraSite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera-site",
        abstract: "Tessera's site agent: trains LoRA adapters on this hospital's data each federated round; only adapter weights leave.",
        subcommands: [RunCommand.self, StatusCommand.self, TrainCommand.self, TrainJobCommand.self, EvalCommand.self, ConfigCommand.self])

    static func main() async {
        BLAS.restartWithTunedSettingsIfNeeded()
        await main(nil)
    }
}
