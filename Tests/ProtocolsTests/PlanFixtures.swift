import Foundation
import Protocols
import Testing

/// The tiny LLaVA of shared/fixtures/hf-llava-tiny as the Model library describes it: text width
/// 64, 2 layers, 2 key/value heads of 16 (k/v out 32), MLP 192; vision width 32; projector 32→64→64.
enum PlanFixtures {
    static let base: BaseModelDescription = {
        var layers: [BaseModelDescription.LinearLayer] = []
        var parameters: [BaseModelDescription.Parameter] = []
        for layer in 0..<2 {
            let prefix = "model.language_model.layers.\(layer)"
            for (name, input, output) in [("self_attn.q_proj", 64, 64), ("self_attn.k_proj", 64, 32), ("self_attn.v_proj", 64, 32),
                                          ("self_attn.o_proj", 64, 64), ("mlp.gate_proj", 64, 192), ("mlp.up_proj", 64, 192),
                                          ("mlp.down_proj", 192, 64)] {
                layers.append(.init(modulePath: "\(prefix).\(name)", inFeatures: input, outFeatures: output))
                parameters.append(.init(path: "\(prefix).\(name).weight", shape: [output, input]))
            }
            let vision = "model.vision_tower.vision_model.encoder.layers.\(layer).self_attn"
            for name in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                layers.append(.init(modulePath: "\(vision).\(name)", inFeatures: 32, outFeatures: 32))
                parameters.append(.init(path: "\(vision).\(name).weight", shape: [32, 32]))
            }
        }
        layers += [.init(modulePath: "model.multi_modal_projector.linear_1", inFeatures: 32, outFeatures: 64),
                   .init(modulePath: "model.multi_modal_projector.linear_2", inFeatures: 64, outFeatures: 64)]
        parameters += [.init(path: "model.multi_modal_projector.linear_1.weight", shape: [64, 32]),
                       .init(path: "model.multi_modal_projector.linear_1.bias", shape: [64]),
                       .init(path: "model.multi_modal_projector.linear_2.weight", shape: [64, 64]),
                       .init(path: "model.multi_modal_projector.linear_2.bias", shape: [64])]
        return BaseModelDescription(linearLayers: layers, parameters: parameters)
    }()

    /// PEFT 0.21's names and shapes in shared/fixtures/hf-llava-tiny/adapter-projector
    /// (r = 4, target `.*language_model.*\.(q_proj|v_proj)`, modules_to_save projector).
    static let peftAdapterProjector: [(String, [Int])] = [
        ("base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight", [4, 64]),
        ("base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_B.weight", [64, 4]),
        ("base_model.model.model.language_model.layers.0.self_attn.v_proj.lora_A.weight", [4, 64]),
        ("base_model.model.model.language_model.layers.0.self_attn.v_proj.lora_B.weight", [32, 4]),
        ("base_model.model.model.language_model.layers.1.self_attn.q_proj.lora_A.weight", [4, 64]),
        ("base_model.model.model.language_model.layers.1.self_attn.q_proj.lora_B.weight", [64, 4]),
        ("base_model.model.model.language_model.layers.1.self_attn.v_proj.lora_A.weight", [4, 64]),
        ("base_model.model.model.language_model.layers.1.self_attn.v_proj.lora_B.weight", [32, 4]),
        ("base_model.model.model.multi_modal_projector.linear_1.bias", [64]),
        ("base_model.model.model.multi_modal_projector.linear_1.weight", [64, 32]),
        ("base_model.model.model.multi_modal_projector.linear_2.bias", [64]),
        ("base_model.model.model.multi_modal_projector.linear_2.weight", [64, 64]),
    ]

    static func lora(ffa: Bool = false, r: Int = 4) -> TrainingPlan.LoRA {
        TrainingPlan.LoRA(r: r, alpha: 16, useRSLoRA: false, dropout: 0, targetModules: .pattern(#".*language_model.*\.(q_proj|v_proj)"#),
                          modulesToSave: ["multi_modal_projector"], ffa: ffa)
    }

    /// A valid plan for the tiny model.
    static func plan(ffa: Bool = false, encoding: WireEncoding = .bf16) throws -> TrainingPlan {
        let lora = lora(ffa: ffa)
        return try TrainingPlan(
            objectives: [.init(name: "ar", weight: 1), .init(name: "logra", weight: 0.5, options: ["temperature": .number(0.1)])],
            schedule: .init(steps: 100, batchSize: 8, gradientAccumulation: 2, maxSequenceLength: 256, learningRate: 2e-4,
                            learningRateSchedule: .cosine, warmupSteps: 10, gradientClipNorm: 1),
            optimizer: .init(betas: [0.9, 0.999], epsilon: 1e-8, weightDecay: 0),
            randomness: .init(campaignSeed: 7),
            lora: lora,
            tensors: .derived(from: base, lora: lora, encoding: encoding),
            wire: .init(encoding: encoding, maximumUploadBytes: 64 << 20),
            round: .init(strategy: ffa ? .ffa : .fedavg, stepNorm: .init(bound: 10, onExceed: .clip), quorum: 2,
                         deadlineSeconds: 3600, allowReplacement: true))
    }

    /// The plan's JSON as a mutable dictionary, for tests that break one field.
    static func planObject(_ plan: TrainingPlan) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: WireJSON.encode(plan))
        return try #require(object as? [String: Any])
    }
}

extension PlanFixtures {
    /// The plan's JSON with the value at a dotted path replaced (nil removes it); numeric
    /// components index arrays.
    static func json(_ plan: TrainingPlan, setting path: String, to value: Any?) throws -> Data {
        func set(_ node: Any, _ keys: ArraySlice<Substring>) -> Any? {
            guard let key = keys.first else { return value }
            if var array = node as? [Any], let index = Int(key) {
                if let replaced = set(array[index], keys.dropFirst()) { array[index] = replaced } else { array.remove(at: index) }
                return array
            }
            var object = node as? [String: Any] ?? [:]
            object[String(key)] = keys.count == 1 ? value : set(object[String(key)] ?? [String: Any](), keys.dropFirst())
            return object
        }
        let edited = set(try planObject(plan), path.split(separator: ".")[...]) ?? [:]
        return try JSONSerialization.data(withJSONObject: edited)
    }
}
