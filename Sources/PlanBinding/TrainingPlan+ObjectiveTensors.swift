import Model
import Protocols
import Tensor
import Training

extension TrainingPlan {
    /// The plan's objectives as the trainer configures them.
    var trainerObjectives: [TrainerConfiguration.Objective] {
        Self.trainerObjectives(objectives)
    }

    static func trainerObjectives(_ objectives: [Objective]) -> [TrainerConfiguration.Objective] {
        objectives.map { TrainerConfiguration.Objective(name: $0.name, weight: Float($0.weight), options: $0.options.mapValues(\.optionText)) }
    }

    /// The tensors the plan's objectives train for themselves (`tessera.objective.<name>.*`), at
    /// the values a fresh objective starts from: listed in the plan's global and upload tensors,
    /// published in round 0's global adapter, averaged like the modules_to_save.
    /// - Throws: ``PlanBindingError/adapterMismatch(tensor:reason:)`` when `base` has no token
    ///   embeddings to size them by; `TrainingError` for an unknown objective or a bad option.
    public func initialObjectiveTensors(for base: BaseModelDescription) throws -> [NamedTensor] {
        try Self.initialObjectiveTensors(objectives, base: base)
    }

    /// The names and shapes of ``initialObjectiveTensors(for:)``, as the plan's tensor lists take them.
    public func objectiveTensorSpecs(for base: BaseModelDescription) throws -> [TensorSpec] {
        try Self.objectiveTensorSpecs(objectives, base: base)
    }

    static func objectiveTensorSpecs(_ objectives: [Objective], base: BaseModelDescription) throws -> [TensorSpec] {
        try initialObjectiveTensors(objectives, base: base).map { TensorSpec(name: $0.name, shape: $0.shape, dtype: .F32) }
    }

    static func initialObjectiveTensors(_ objectives: [Objective], base: BaseModelDescription) throws -> [NamedTensor] {
        let embeddings = "model.language_model.embed_tokens.weight"
        guard let shape = base.parameters.first(where: { $0.path == embeddings })?.shape, shape.count == 2 else {
            throw PlanBindingError.adapterMismatch(tensor: embeddings, reason: "the base model has no token embeddings to size the objectives' tensors by")
        }
        return try ObjectiveRegistry.initialParameters(trainerObjectives(objectives), hiddenSize: shape[1], vocabularySize: shape[0]).map {
            NamedTensor(name: $0.name, shape: $0.tensor.shape, values: $0.tensor.values)
        }
    }
}

extension LocalTrainer {
    /// Starts the objectives' own tensors from a global adapter's values (the plan's
    /// `tessera.objective.*` tensors; round 0's are the objectives' initial values anyway).
    /// - Throws: ``PlanBindingError/adapterMismatch(tensor:reason:)`` for a tensor the objectives
    ///   do not train, or one at another shape.
    public func startObjectives(from globalAdapter: [NamedTensor]) throws {
        let own = Dictionary(objectives.flatMap(\.objective.parameters).map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        for tensor in globalAdapter where AdapterTensorName.isObjective(tensor.name) {
            guard let slot = own[tensor.name] else {
                throw PlanBindingError.adapterMismatch(tensor: tensor.name, reason: "no objective of the plan trains this tensor")
            }
            guard slot.shape == tensor.shape else {
                throw PlanBindingError.adapterMismatch(tensor: tensor.name, reason: "shape \(tensor.shape), expected \(slot.shape)")
            }
            slot.values = tensor.values
        }
    }

    /// The tensors of `specs`, in that order: adapter tensors from the model, objective tensors
    /// from the objectives (an update is built from these alone).
    /// - Throws: ``PlanBindingError/adapterMismatch(tensor:reason:)`` for a spec neither holds, or
    ///   at another shape.
    public func adapterTensors(_ specs: [TensorSpec]) throws -> [NamedTensor] {
        var available = model.adapterTensorValues
        for (name, tensor) in objectives.flatMap(\.objective.parameters) { available[name] = (tensor.shape, tensor.values) }
        return try selectAdapterTensors(specs, from: available)
    }
}
