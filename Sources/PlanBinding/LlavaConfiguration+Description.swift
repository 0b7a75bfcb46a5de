import Foundation
import Model
import Protocols

extension LlavaConfiguration {
    /// The base model's description from its configuration alone: the same as a loaded model's
    /// ``LlavaModel/baseModelDescription``, without reading or allocating a weight.
    public var baseModelDescription: BaseModelDescription {
        let layout = layout
        return BaseModelDescription(
            linearLayers: layout.linearLayers.map { .init(modulePath: $0.path, inFeatures: $0.inputs, outFeatures: $0.outputs) },
            parameters: layout.parameters.map { .init(path: $0.key, shape: $0.value) }.sorted { $0.path < $1.path })
    }
}

extension TrainingPlan {
    /// Round 0's global adapter for the base model in `baseDirectory`, as
    /// ``Model/LlavaModel/initialGlobalAdapter(plan:)`` makes it on a loaded model, reading only
    /// the modules_to_save weights (every tensor header is checked): LoRA factors from the plan's
    /// adapter seed, the base values of the modules_to_save and the objectives' initial tensors,
    /// in the plan's global tensor list.
    /// - Throws: ``PlanBindingError/adapterMismatch(tensor:reason:)`` when the result is not the
    ///   plan's global list, `ModelError` for a checkpoint that does not match its `config.json`.
    public func initialGlobalAdapter(baseDirectory: URL) throws -> [NamedTensor] {
        let configuration = try LlavaConfiguration(contentsOf: baseDirectory.appendingPathComponent("config.json"))
        var available = try configuration.initialLoRAFactors(loraConfiguration, seed: try randomness.adapterInitializationSeed())
        let saved = configuration.layout.parameters.filter { loraConfiguration.savesInFull(parameterPath: $0.key) }
        for (path, values) in try LlavaModel.readParameters(Array(saved.keys), from: baseDirectory) {
            available[CheckpointNames.peftKey(forModulePath: path)] = (saved[path] ?? [], values)
        }
        for tensor in try initialObjectiveTensors(for: configuration.baseModelDescription) { available[tensor.name] = (tensor.shape, tensor.values) }
        return try selectAdapterTensors(tensors.global, from: available)
    }
}

extension BaseModelDescription {
    /// The description of the base model in `directory`, from its `config.json` alone.
    /// - Throws: `ModelError` for a missing or invalid `config.json`.
    public init(modelDirectory directory: URL) throws {
        self = try LlavaConfiguration(contentsOf: directory.appendingPathComponent("config.json")).baseModelDescription
    }
}
