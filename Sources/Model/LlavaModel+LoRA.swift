import Foundation
import Tensor

extension LlavaModel {
    /// Adds fresh LoRA adapters as PEFT's `get_peft_model` does: A Kaiming-uniform from `seed`
    /// (layers in module order), B zero; the base frozen, modules_to_save trainable.
    /// - Throws: ``ModelError/adapterMatchesNothing(file:targetModules:)`` when no layer matches.
    public func addLoRA(_ lora: LoRAConfiguration, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let targeted = linearLayers.filter { lora.targets(path: $0.path) }
        guard !targeted.isEmpty else {
            throw ModelError.adapterMatchesNothing(file: "LoRA configuration", targetModules: "\(lora.targets)")
        }
        for layer in targeted {
            layer.adapter = LoRAAdapter(layer: layer, rank: lora.rank, scale: lora.scale, dropout: lora.dropout,
                                        generator: &generator)
        }
        self.lora = lora
        setTrainability()
    }

    /// Freezes the base and unfreezes the adapters (A only without FFA) and modules_to_save, as
    /// ``lora`` says; call it after changing ``lora``.
    public func setTrainability() {
        for (path, tensor) in parameters {
            tensor.requiresGradient = lora?.savesInFull(parameterPath: path) ?? false
        }
        for layer in linearLayers {
            guard let adapter = layer.adapter else { continue }
            adapter.a.requiresGradient = !(lora?.freezeA ?? false)
            adapter.b.requiresGradient = true
        }
    }

    /// Every tensor that trains, by PEFT's saved name (`base_model.model.….lora_A.weight`, and
    /// `base_model.model.<path>` for modules_to_save), sorted by name.
    public var trainableParameters: [(name: String, tensor: Tensor)] {
        adapterTensors.filter { $0.tensor.requiresGradient }
    }

    /// Every tensor an adapter file holds (frozen A under FFA included), by PEFT's saved name.
    public var adapterTensors: [(name: String, tensor: Tensor)] {
        var result: [(String, Tensor)] = []
        for layer in linearLayers {
            guard let adapter = layer.adapter else { continue }
            result.append((CheckpointNames.loraA(layer.path), adapter.a))
            result.append((CheckpointNames.loraB(layer.path), adapter.b))
        }
        if let lora {
            for (path, tensor) in parameters where lora.savesInFull(parameterPath: path) {
                result.append((CheckpointNames.peftKey(forModulePath: path), tensor))
            }
        }
        return result.sorted { $0.0 < $1.0 }
    }

    /// Adds `s·B·A` into every adapted weight (then the forward pass skips the adapters).
    public func mergeAdapters() {
        for layer in linearLayers {
            guard let adapter = layer.adapter, !adapter.isMerged else { continue }
            adapter.addProduct(into: layer, sign: 1)
            adapter.isMerged = true
        }
    }

    /// Takes `s·B·A` back out of every merged weight.
    public func unmergeAdapters() {
        for layer in linearLayers {
            guard let adapter = layer.adapter, adapter.isMerged else { continue }
            adapter.addProduct(into: layer, sign: -1)
            adapter.isMerged = false
        }
    }
}
