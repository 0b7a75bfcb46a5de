import Foundation
import Model
import PlanBinding
import Protocols

extension SiteConfiguration {
    /// Reads the local base model as a round does and returns what `config check` prints of it:
    /// its size and its base digest, which every round's digest must equal (the consortium
    /// announces it with the campaign), so a wrong copy is found before the first round. Nil when
    /// the base model is downloaded from the aggregator.
    /// - Throws: ``PlanBindingError/missingBaseFile(directory:file:)`` for a missing file,
    ///   `ModelError` for one that does not load, ``PlanBindingError/unreadable(path:reason:)``.
    /// With an external trainer the weights are not loaded here (the trainer loads them); their
    /// count comes from `config.json`.
    public func checkBaseModel() throws -> String? {
        guard let baseModel else { return nil }
        let directory = try BaseModelDirectory(baseModel)
        let parameterCount: Int
        if trainerCommand == nil {
            parameterCount = try LlavaModel.load(from: baseModel).parameterCount
        } else {
            parameterCount = try BaseModelDescription(modelDirectory: baseModel).parameters.reduce(0) { $0 + $1.shape.reduce(1, *) }
        }
        _ = try BPETokenizer(contentsOf: baseModel.appendingPathComponent("tokenizer.json"))
        return "base \(baseModel.path): \(parameterCount) parameters, digest \(try directory.digest().hex)"
    }

    /// What `config check` prints of the training: here, or the external trainer command, whose
    /// program must exist and be executable (a bare name on PATH).
    /// - Throws: ``SiteConfigurationError/missingPath(file:key:path:expected:)`` naming the program.
    public func checkTrainer() throws -> String {
        guard let command = trainerCommand else { return "training: here, \(threads) thread\(threads == 1 ? "" : "s")" }
        let program = command[0]
        let candidates = program.contains("/") ? [program]
            : (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(program)" }
        guard let found = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw SiteConfigurationError.missingPath(file: file.path, key: "training.command", path: program,
                                                     expected: program.contains("/") ? "an executable file" : "an executable on PATH")
        }
        return "training: handed to \(([found] + command.dropFirst()).joined(separator: " ")) JOB.json (docs/EXTERNAL_TRAINER.md)"
    }
}
