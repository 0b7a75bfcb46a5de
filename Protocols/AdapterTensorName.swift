/// The tensor names of an update, built and parsed in this one place (PEFT's names, as
/// `save_pretrained` writes `adapter_model.safetensors`, plus Tessera's objective tensors):
///
/// | kind | name | shape |
/// | --- | --- | --- |
/// | LoRA down-projection `A` of module `M` | `base_model.model.M.lora_A.weight` | `[r, in]` |
/// | LoRA up-projection `B` of module `M` | `base_model.model.M.lora_B.weight` | `[out, r]` |
/// | parameter `P` of a `modules_to_save` module | `base_model.model.P` | as in the base |
/// | tensor `T` an objective `O` trains | `tessera.objective.O.T` | the objective's |
///
/// e.g. `base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight` and
/// `base_model.model.model.multi_modal_projector.linear_1.bias`.
public enum AdapterTensorName: Equatable, Sendable {
    case loraA(modulePath: String)
    case loraB(modulePath: String)
    case saved(parameterPath: String)
    case objective(objective: String, tensor: String)

    static let peftPrefix = "base_model.model."
    static let objectivePrefix = "tessera.objective."
    static let loraASuffix = ".lora_A.weight"
    static let loraBSuffix = ".lora_B.weight"

    /// The kind of `name`; nil for a name that is neither PEFT's nor an objective's.
    public init?(parsing name: String) {
        if name.hasPrefix(Self.objectivePrefix) {
            let rest = name.dropFirst(Self.objectivePrefix.count)
            guard let dot = rest.firstIndex(of: "."), dot != rest.startIndex, rest.index(after: dot) != rest.endIndex else {
                return nil
            }
            self = .objective(objective: String(rest[..<dot]), tensor: String(rest[rest.index(after: dot)...]))
            return
        }
        guard name.hasPrefix(Self.peftPrefix), name.count > Self.peftPrefix.count else { return nil }
        let path = String(name.dropFirst(Self.peftPrefix.count))
        if path.hasSuffix(Self.loraASuffix), path.count > Self.loraASuffix.count {
            self = .loraA(modulePath: String(path.dropLast(Self.loraASuffix.count)))
        } else if path.hasSuffix(Self.loraBSuffix), path.count > Self.loraBSuffix.count {
            self = .loraB(modulePath: String(path.dropLast(Self.loraBSuffix.count)))
        } else {
            self = .saved(parameterPath: path)
        }
    }

    /// Whether `name` is an objective's tensor (`tessera.objective.O.T`), which lives beside the
    /// PEFT adapter (`objective_params.safetensors`), not in it.
    public static func isObjective(_ name: String) -> Bool {
        if case .objective? = AdapterTensorName(parsing: name) { return true }
        return false
    }

    /// The tensor's name in files and on the wire.
    public var name: String {
        switch self {
        case let .loraA(modulePath): return Self.peftPrefix + modulePath + Self.loraASuffix
        case let .loraB(modulePath): return Self.peftPrefix + modulePath + Self.loraBSuffix
        case let .saved(parameterPath): return Self.peftPrefix + parameterPath
        case let .objective(objective, tensor): return Self.objectivePrefix + objective + "." + tensor
        }
    }
}
