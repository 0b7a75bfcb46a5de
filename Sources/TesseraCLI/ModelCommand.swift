import ArgumentParser

/// `tessera model …`: create, inspect and check LLaVA models in Hugging Face's format.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Create, inspect and verify LLaVA models (HF config.json + model.safetensors).",
        subcommands: [ModelInitCommand.self, ModelInfoCommand.self, ModelVerifyCommand.self, ModelPretrainCommand.self,
                      ModelGenerateCommand.self]
    )
}
