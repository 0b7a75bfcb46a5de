import Model
import Protocols
import Tensor

extension LlavaModel {
    /// What the plan needs to know of this model to derive its tensor lists: every linear layer
    /// with its shape and every base parameter with its shape, by module path.
    public var baseModelDescription: BaseModelDescription {
        BaseModelDescription(
            linearLayers: linearLayers.map { .init(modulePath: $0.path, inFeatures: $0.inputs, outFeatures: $0.outputs) },
            parameters: parameters.map { .init(path: $0.key, shape: $0.value.shape) }.sorted { $0.path < $1.path })
    }

    /// Round 0's global adapter: fresh factors as PEFT initialises them (A Kaiming-uniform from the
    /// plan's adapter seed, B zero), the base values of the modules_to_save and the objectives'
    /// initial tensors, in the plan's global tensor list. Leaves the adapters on this model.
    /// - Throws: ``PlanBindingError/adapterMismatch(tensor:reason:)`` when the result is not the
    ///   plan's global list, `ModelError` when the targets match nothing, `SecurityError`.
    public func initialGlobalAdapter(plan: TrainingPlan) throws -> [NamedTensor] {
        try addLoRA(plan.loraConfiguration, seed: try plan.randomness.adapterInitializationSeed())
        var available = adapterTensorValues
        for tensor in try plan.initialObjectiveTensors(for: baseModelDescription) { available[tensor.name] = (tensor.shape, tensor.values) }
        return try selectAdapterTensors(plan.tensors.global, from: available)
    }

    /// Puts a global adapter on the model: LoRA factors per the plan, modules_to_save values
    /// replacing the base's. Every tensor of the plan's global list must be given, at its shape.
    /// - Throws: ``PlanBindingError/adapterMismatch(tensor:reason:)``, `ModelError`.
    public func applyGlobalAdapter(_ tensors: [NamedTensor], plan: TrainingPlan) throws {
        try addLoRA(plan.loraConfiguration, seed: 0)
        let given = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let slots = Dictionary(uniqueKeysWithValues: adapterTensors.map { ($0.name, $0.tensor) })
        for spec in plan.tensors.global where !AdapterTensorName.isObjective(spec.name) {
            guard let tensor = given[spec.name] else {
                throw PlanBindingError.adapterMismatch(tensor: spec.name, reason: "missing from the global adapter")
            }
            guard let slot = slots[spec.name] else {
                throw PlanBindingError.adapterMismatch(tensor: spec.name, reason: "the model has no such tensor under the plan's LoRA settings")
            }
            guard tensor.shape == slot.shape, tensor.shape == spec.shape else {
                throw PlanBindingError.adapterMismatch(tensor: spec.name, reason: "shape \(tensor.shape), expected \(spec.shape)")
            }
            slot.values = tensor.values
        }
        setTrainability()
    }

    /// The model's adapter tensors named in `specs`, in that order, checked against their shapes:
    /// the only tensors that may leave a site (the privacy guard: nothing else is ever read out).
    /// - Throws: ``PlanBindingError/adapterMismatch(tensor:reason:)`` for a spec the model lacks or
    ///   has at another shape.
    public func adapterTensors(_ specs: [TensorSpec]) throws -> [NamedTensor] {
        try selectAdapterTensors(specs, from: adapterTensorValues)
    }

    /// The model's adapter tensors' shapes and values, by PEFT name.
    var adapterTensorValues: [String: (shape: [Int], values: [Float])] {
        Dictionary(uniqueKeysWithValues: adapterTensors.map { ($0.name, ($0.tensor.shape, $0.tensor.values)) })
    }
}

/// The tensors `specs` names, in that order, from `available` (by name), checked against their shapes.
/// - Throws: ``PlanBindingError/adapterMismatch(tensor:reason:)`` for a spec that is missing or at another shape.
func selectAdapterTensors(_ specs: [TensorSpec], from available: [String: (shape: [Int], values: [Float])]) throws -> [NamedTensor] {
    try specs.map { spec in
        guard let tensor = available[spec.name] else {
            throw PlanBindingError.adapterMismatch(tensor: spec.name, reason: "the model has no such adapter tensor")
        }
        guard tensor.shape == spec.shape else {
            throw PlanBindingError.adapterMismatch(tensor: spec.name, reason: "shape \(tensor.shape), expected \(spec.shape)")
        }
        return NamedTensor(name: spec.name, shape: spec.shape, values: tensor.values)
    }
}
