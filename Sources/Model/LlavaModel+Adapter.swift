import Foundation
import Tensor

/// PEFT adapter directories: `adapter_config.json` + `adapter_model.safetensors`.
extension LlavaModel {
    /// Loads a PEFT LoRA adapter (and any modules_to_save tensors it carries) onto this model,
    /// replacing adapters already present (a merged one is taken out of the weights first;
    /// modules_to_save parameters the file does not hold keep their current values).
    /// - Throws: ``ModelError`` for an unsupported setting (naming the field), a tensor the model has
    ///   no place for, a missing factor, or a shape mismatch; the model keeps its adapters then
    ///   (unmerged).
    public func loadAdapter(from directory: URL) throws {
        let configFile = directory.appendingPathComponent("adapter_config.json")
        let lora = try Self.readAdapterConfiguration(configFile)
        unmergeAdapters()
        let previous = (adapters: linearLayers.map(\.adapter), lora: self.lora)
        do {
            try attachAdapter(lora, configFile: configFile, weightsFile: directory.appendingPathComponent("adapter_model.safetensors"))
        } catch {
            for (layer, adapter) in zip(linearLayers, previous.adapters) { layer.adapter = adapter }
            self.lora = previous.lora
            throw error
        }
        setTrainability()
    }

    /// New adapters for `lora`, filled from the weights file; modules_to_save values are written
    /// only once every tensor has been read and checked.
    private func attachAdapter(_ lora: LoRAConfiguration, configFile: URL, weightsFile: URL) throws {
        for layer in linearLayers { layer.adapter = nil }
        // Zero-initialised factors of the right shape, then filled from the file.
        var unused = SeededGenerator(seed: 0)
        let targeted = linearLayers.filter { lora.targets(path: $0.path) }
        guard !targeted.isEmpty else {
            throw ModelError.adapterMatchesNothing(file: configFile.path, targetModules: "\(lora.targets)")
        }
        for layer in targeted {
            layer.adapter = LoRAAdapter(layer: layer, rank: lora.rank, scale: lora.scale, dropout: lora.dropout, generator: &unused)
        }
        self.lora = lora
        let file = try SafetensorsFile(contentsOf: weightsFile)
        let expected = Dictionary(uniqueKeysWithValues: adapterTensors.map { ($0.name, $0.tensor) })
        let unknown = file.names.filter { expected[$0] == nil }
        guard unknown.isEmpty else { throw ModelError.unexpectedTensors(file: weightsFile.path, tensors: unknown) }
        var loaded: [(tensor: Tensor, values: [Float])] = []
        for (name, tensor) in expected {
            guard file.tensors[name] != nil else {
                // modules_to_save tensors absent from the file keep the base values (PEFT does too).
                if name.contains(".lora_") { throw ModelError.missingTensor(file: weightsFile.path, tensor: name) }
                continue
            }
            let info = try file.info(name)
            guard info.shape == tensor.shape else {
                throw ModelError.shapeMismatch(file: weightsFile.path, tensor: name, found: info.shape, expected: tensor.shape)
            }
            loaded.append((tensor, try file.floats(name)))
        }
        for (tensor, values) in loaded { tensor.values = values }
    }

    /// Writes this model's adapter as PEFT does: `adapter_config.json` and
    /// `adapter_model.safetensors` (canonical bytes, `format: pt`).
    /// - Precondition: the model has LoRA adapters.
    public func saveAdapter(to directory: URL, baseModel: String = "") throws {
        guard let lora else { throw ModelError.invalidInput(reason: "the model has no LoRA adapter to save") }
        let entries = adapterTensors.map { Safetensors.Entry.float32(name: $0.name, shape: $0.tensor.shape, values: $0.tensor.values) }
        try Self.writeAdapter(entries, lora: lora, baseModel: baseModel, to: directory)
    }

    /// Writes a PEFT adapter directory from tensors named as PEFT saves them (LoRA factors and
    /// modules_to_save), without a model: `adapter_config.json` from `lora`, and
    /// `adapter_model.safetensors` (canonical bytes, `format: pt`).
    public static func writeAdapter(_ entries: [Safetensors.Entry], lora: LoRAConfiguration, baseModel: String = "", to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(Safetensors.encode(entries, metadata: ["format": "pt"]))
            .write(to: directory.appendingPathComponent("adapter_model.safetensors"), options: .atomic)
        try adapterConfigurationJSON(lora, baseModel: baseModel)
            .write(to: directory.appendingPathComponent("adapter_config.json"), options: .atomic)
    }

    static func adapterConfigurationJSON(_ lora: LoRAConfiguration, baseModel: String) -> Data {
        let targets: JSONValue
        switch lora.targets {
        case .names(let names): targets = .array(names.map(JSONValue.string))
        case .pattern(let pattern): targets = .string(pattern)
        }
        let object: JSONValue = .sortedObject([
            "alpha_pattern": .sortedObject([:]), "base_model_name_or_path": .string(baseModel), "bias": .string("none"),
            "fan_in_fan_out": .bool(false), "inference_mode": .bool(true), "init_lora_weights": .bool(true),
            "lora_alpha": .double(Double(lora.alpha)), "lora_dropout": .double(Double(lora.dropout)),
            "modules_to_save": lora.modulesToSave.isEmpty ? .null : .array(lora.modulesToSave.map(JSONValue.string)),
            "peft_type": .string("LORA"), "r": .integer(lora.rank), "rank_pattern": .sortedObject([:]), "target_modules": targets,
            "task_type": .null, "use_dora": .bool(false), "use_rslora": .bool(lora.useRSLoRA),
        ])
        return Data(object.text.utf8)
    }

    static func readAdapterConfiguration(_ file: URL) throws -> LoRAConfiguration {
        guard let data = try? Data(contentsOf: file) else {
            throw ModelError.unreadable(file: file.path, reason: "no such file or unreadable")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidConfiguration(file: file.path, field: "(root)", reason: "not a JSON object")
        }
        func fail(_ field: String, _ reason: String) -> ModelError {
            .invalidConfiguration(file: file.path, field: field, reason: reason)
        }
        if let type = root["peft_type"] as? String, type != "LORA" { throw fail("peft_type", "is \(type); only LORA is supported") }
        guard let rank = root["r"] as? Int, rank > 0 else { throw fail("r", "missing or not a positive integer") }
        guard let alpha = root["lora_alpha"] as? Double, alpha.isFinite, alpha > 0 else { throw fail("lora_alpha", "missing or not a number > 0") }
        let dropout = root["lora_dropout"] as? Double ?? 0
        guard dropout >= 0 && dropout < 1 else { throw fail("lora_dropout", "is \(dropout); expected a probability in [0, 1)") }
        let targets: LoRAConfiguration.Targets
        if let names = root["target_modules"] as? [String] {
            targets = .names(names)
        } else if let pattern = root["target_modules"] as? String {
            do {
                _ = try NSRegularExpression(pattern: pattern)
            } catch {
                throw fail("target_modules", "\"\(pattern)\" is not a regular expression Tessera reads (ICU syntax; Python's (?P<name>…) is not)")
            }
            targets = .pattern(pattern)
        } else {
            throw fail("target_modules", "missing or neither a list of names nor a pattern")
        }
        for flag in ["use_dora", "fan_in_fan_out"] where root[flag] as? Bool == true {
            throw fail(flag, "is true; Tessera implements plain LoRA")
        }
        if let bias = root["bias"] as? String, bias != "none" { throw fail("bias", "is \(bias); only \"none\" is supported") }
        if root["lora_bias"] as? Bool == true { throw fail("lora_bias", "is true; Tessera's LoRA factors have no bias") }
        // PEFT settings that narrow or widen what is adapted; plain LoRA leaves them null (or empty).
        for setting in ["layers_to_transform", "layers_pattern", "exclude_modules", "trainable_token_indices", "target_parameters"] {
            guard let value = root[setting], !(value is NSNull) else { continue }
            if let list = value as? [Any], list.isEmpty { continue }
            let json = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
            throw fail(setting, "is \(json ?? "\(value)"); Tessera adapts every layer target_modules matches (null is supported)")
        }
        for pattern in ["rank_pattern", "alpha_pattern"] {
            if let value = root[pattern] as? [String: Any], !value.isEmpty { throw fail(pattern, "per-layer ranks are not supported") }
        }
        return LoRAConfiguration(rank: rank, alpha: Float(alpha), targets: targets,
                                 dropout: Float(dropout),
                                 useRSLoRA: root["use_rslora"] as? Bool ?? false,
                                 modulesToSave: root["modules_to_save"] as? [String] ?? [])
    }
}
