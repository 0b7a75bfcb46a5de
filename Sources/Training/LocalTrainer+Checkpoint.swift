import Foundation
import Model
import Tensor

/// Checkpoints and outputs. A checkpoint directory holds `adapter/` (PEFT files),
/// `objective_params.safetensors`, `optimizer.safetensors` (AdamW's moments and step) and
/// `trainer_state.json` (`{"step": k, "seed": s, "examples_seen": […]}`); it is written beside the
/// old one and swapped in by rename, so a kill at any moment leaves one whole checkpoint.
extension LocalTrainer {
    struct State: Codable {
        var step: Int
        var seed: UInt64
        var examplesSeen: [Int]

        enum CodingKeys: String, CodingKey {
            case step, seed
            case examplesSeen = "examples_seen"
        }
    }

    /// Writes a checkpoint of the current step into `directory`.
    public func saveCheckpoint(to directory: URL) throws {
        let fileManager = FileManager.default
        let staging = directory.deletingLastPathComponent().appendingPathComponent(directory.lastPathComponent + ".partial")
        try? fileManager.removeItem(at: staging)  // a leftover of a killed write, if any
        try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        try model.saveAdapter(to: staging.appendingPathComponent("adapter"))
        try writeObjectiveParameters(to: staging.appendingPathComponent("objective_params.safetensors"))
        try Data(optimizer.state.encoded()).write(to: staging.appendingPathComponent("optimizer.safetensors"))
        let state = State(step: step, seed: configuration.seed, examplesSeen: Array(seenExamples).sorted())
        try JSONEncoder().encode(state).write(to: staging.appendingPathComponent("trainer_state.json"))
        let old = directory.deletingLastPathComponent().appendingPathComponent(directory.lastPathComponent + ".old")
        try? fileManager.removeItem(at: old)
        if fileManager.fileExists(atPath: directory.path) { try fileManager.moveItem(at: directory, to: old) }
        try fileManager.moveItem(at: staging, to: directory)
        try? fileManager.removeItem(at: old)
    }

    /// Continues from a checkpoint written by ``saveCheckpoint(to:)`` with the same configuration.
    /// - Throws: ``TrainingError/checkpointMismatch(file:reason:)`` when it was written with
    ///   another seed or does not fit the model.
    public func resume(from directory: URL) throws {
        let stateFile = directory.appendingPathComponent("trainer_state.json")
        let state: State
        do {
            state = try JSONDecoder().decode(State.self, from: Data(contentsOf: stateFile))
        } catch {
            throw TrainingError.checkpointMismatch(file: stateFile.path, reason: "unreadable trainer state: \(error)")
        }
        guard state.seed == configuration.seed else {
            throw TrainingError.checkpointMismatch(file: stateFile.path, reason: "seed \(state.seed), this run's is \(configuration.seed)")
        }
        guard state.step <= configuration.steps else {
            throw TrainingError.checkpointMismatch(file: stateFile.path, reason: "step \(state.step) is past this run's \(configuration.steps) steps")
        }
        // Values go into the tensors this trainer (and its optimizer) already holds.
        let adapterFile = try SafetensorsFile(contentsOf: directory.appendingPathComponent("adapter/adapter_model.safetensors"))
        for (name, tensor) in model.adapterTensors {
            guard let info = adapterFile.tensors[name], info.shape == tensor.shape else {
                throw TrainingError.checkpointMismatch(file: adapterFile.source, reason: "tensor \(name) is missing or has another shape")
            }
            tensor.values = try adapterFile.floats(name)
        }
        let objectiveFile = try SafetensorsFile(contentsOf: directory.appendingPathComponent("objective_params.safetensors"))
        for (name, tensor) in objectives.flatMap({ $0.objective.parameters }) {
            tensor.values = try objectiveFile.floats(name)
        }
        try optimizer.restore(OptimizerState(decoding: SafetensorsFile(contentsOf: directory.appendingPathComponent("optimizer.safetensors"))))
        restore(step: state.step, seen: state.examplesSeen)
    }

    /// Writes the run's result: the PEFT adapter directory, `objective_params.safetensors` beside
    /// it when an objective trains tensors of its own, and `metrics.json`.
    public func saveOutputs(to directory: URL, metrics: [String: Double]) throws {
        try model.saveAdapter(to: directory)
        if objectives.contains(where: { !$0.objective.parameters.isEmpty }) {
            try writeObjectiveParameters(to: directory.appendingPathComponent("objective_params.safetensors"))
        }
        var all = metrics
        all["steps"] = Double(step)
        all["examples"] = Double(distinctExamplesSeen)
        let data = try JSONSerialization.data(withJSONObject: all, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: directory.appendingPathComponent("metrics.json"))
    }

    private func writeObjectiveParameters(to file: URL) throws {
        let entries = objectives.flatMap { $0.objective.parameters }.map { Safetensors.Entry.float32($0.tensor, name: $0.name) }
        try Data(Safetensors.encode(entries, metadata: ["format": "pt"])).write(to: file, options: .atomic)
    }
}
