import ArgumentParser
import Foundation
import Model

/// `tessera model init`: a randomly initialised model of a preset, in HF's format.
struct ModelInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a randomly initialised model of a preset (config.json + model.safetensors)."
    )

    @Option(help: "Preset: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: ModelPreset = .tiny

    @Option(help: "Directory to write (created; existing model files are replaced).")
    var out: String

    @Option(help: "Seed of the initial weights.")
    var seed: UInt64 = 0

    func run() throws {
        let model = LlavaModel(configuration: preset.configuration)
        model.initializeWeights(seed: seed)
        try model.save(to: URL(fileURLWithPath: out))
        print("wrote \(preset.rawValue) model (\(model.parameterCount) parameters) to \(out)")
    }
}

extension ModelPreset: ExpressibleByArgument {}
