import ArgumentParser

/// `tessera-site`: the agent a hospital runs next to its private images.
@main
struct TesseraSite: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera-site",
        abstract: "The Tessera site agent: trains LoRA adapters on local data and sends only adapter updates."
    )
}
