/// Every Hugging Face and PEFT tensor name Tessera reads or writes, built in one place.
///
/// Three spellings of one parameter:
/// - module path (PyTorch's in-memory name in transformers 5): `model.language_model.layers.0.self_attn.q_proj.weight`,
///   `model.vision_tower.encoder.…`, `model.multi_modal_projector.linear_1.weight`, `lm_head.weight`;
/// - checkpoint key (`model.safetensors` as transformers 5.23 writes it): `language_model.model.layers.0.…`,
///   `vision_tower.…`, `multi_modal_projector.…`, `language_model.lm_head.weight`; transformers 4.x's
///   `vision_tower.vision_model.…` and the plain module paths are read too;
/// - PEFT adapter key: `base_model.model.` + module path (+ `.lora_A.weight` / `.lora_B.weight` for LoRA).
public enum CheckpointNames {
    /// The module path a checkpoint key names, or nil for keys that are not parameters of the model.
    public static func modulePath(forCheckpointKey key: String) -> String? {
        let rewrites: [(String, String)] = [
            ("language_model.model.", "model.language_model."),
            ("language_model.lm_head.", "lm_head."),
            ("vision_tower.vision_model.", "model.vision_tower."),
            ("vision_tower.", "model.vision_tower."),
            ("multi_modal_projector.", "model.multi_modal_projector."),
            ("model.", "model."),
            ("lm_head.", "lm_head."),
        ]
        for (prefix, replacement) in rewrites where key.hasPrefix(prefix) {
            return replacement + key.dropFirst(prefix.count)
        }
        return nil
    }

    /// The checkpoint key HF writes for a module path.
    public static func checkpointKey(forModulePath path: String) -> String {
        if path.hasPrefix("model.language_model.") { return "language_model.model." + path.dropFirst("model.language_model.".count) }
        if path.hasPrefix("lm_head.") { return "language_model." + path }
        if path.hasPrefix("model.") { return String(path.dropFirst("model.".count)) }
        return path
    }

    /// PEFT's prefix for every adapter tensor.
    public static let peftPrefix = "base_model.model."

    /// PEFT's saved name of a full tensor (`modules_to_save`) at `path`.
    public static func peftKey(forModulePath path: String) -> String { peftPrefix + path }

    /// The LoRA A tensor of the linear layer at `layerPath`, as PEFT saves it.
    public static func loraA(_ layerPath: String) -> String { peftPrefix + layerPath + ".lora_A.weight" }

    /// The LoRA B tensor of the linear layer at `layerPath`, as PEFT saves it.
    public static func loraB(_ layerPath: String) -> String { peftPrefix + layerPath + ".lora_B.weight" }

    /// PEFT's in-memory name of a tensor (the one its gradients are reported under): LoRA factors
    /// gain the adapter name (`.lora_A.default.weight`), modules_to_save copies live under
    /// `<module>.modules_to_save.default.`.
    public static func peftInMemoryName(forSavedKey key: String, modulesToSave: [String]) -> String {
        for factor in ["lora_A", "lora_B"] where key.hasSuffix(".\(factor).weight") {
            return String(key.dropLast(".weight".count)) + ".default.weight"
        }
        for module in modulesToSave {
            let marker = "." + module + "."
            if let range = key.range(of: marker) {
                return key[..<range.upperBound] + "modules_to_save.default." + key[range.upperBound...]
            }
        }
        return key
    }

    /// The module paths of the three parts of the model.
    public static let languageModel = "model.language_model"
    public static let visionTower = "model.vision_tower"
    public static let projector = "model.multi_modal_projector"
}
