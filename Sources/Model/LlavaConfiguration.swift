import Foundation
import Tensor

/// The architecture of a LLaVA model: Hugging Face's `LlavaConfig` (`config.json`), with the CLIP
/// vision tower's and the LLaMA language model's settings nested as HF nests them.
///
/// Read from what transformers 4.x and 5.x write (RoPE θ as `rope_theta` or in
/// `rope_parameters`); written in the 5.x form, so HF loads the files Tessera saves. Fields Tessera
/// does not model are not kept.
public struct LlavaConfiguration: Equatable, Sendable {
    /// CLIP vision tower (`vision_config`).
    public struct Vision: Equatable, Sendable {
        public var hiddenSize: Int
        public var intermediateSize: Int
        public var layers: Int
        public var heads: Int
        public var imageSize: Int
        public var patchSize: Int
        public var channels = 3
        public var activation: Activation = .quickGELU
        public var layerNormEpsilon: Float = 1e-5

        /// Patches per image side.
        public var patchesPerSide: Int { imageSize / patchSize }
        /// Patches per image (`P`), not counting the class token.
        public var patchCount: Int { patchesPerSide * patchesPerSide }

        public init(hiddenSize: Int, intermediateSize: Int, layers: Int, heads: Int, imageSize: Int, patchSize: Int) {
            self.hiddenSize = hiddenSize
            self.intermediateSize = intermediateSize
            self.layers = layers
            self.heads = heads
            self.imageSize = imageSize
            self.patchSize = patchSize
        }
    }

    /// LLaMA language model (`text_config`).
    public struct Text: Equatable, Sendable {
        public var hiddenSize: Int
        public var intermediateSize: Int
        public var layers: Int
        public var heads: Int
        public var keyValueHeads: Int
        public var vocabularySize: Int
        public var headSize: Int
        public var ropeTheta: Float = 10_000
        public var rmsNormEpsilon: Float = 1e-5
        public var maxPositions = 2048
        public var bosTokenID = 1
        public var eosTokenID = 2
        public var padTokenID: Int?
        public var attentionBias = false
        public var mlpBias = false
        public var tieWordEmbeddings = false

        public init(hiddenSize: Int, intermediateSize: Int, layers: Int, heads: Int, keyValueHeads: Int,
                    vocabularySize: Int, headSize: Int? = nil) {
            self.hiddenSize = hiddenSize
            self.intermediateSize = intermediateSize
            self.layers = layers
            self.heads = heads
            self.keyValueHeads = keyValueHeads
            self.vocabularySize = vocabularySize
            self.headSize = headSize ?? (heads > 0 ? hiddenSize / heads : 0)  // heads < 1 is refused by validate
        }
    }

    /// Which vision tokens LLaVA keeps: all but the class token ("default") or all ("full").
    public enum FeatureSelection: String, Sendable {
        case `default`, full
    }

    public var vision: Vision
    public var text: Text
    public var imageTokenIndex: Int
    /// Index into the vision tower's hidden states (0 = embeddings after the pre-norm; negative
    /// counts from the end, −1 being the last layer's output).
    public var visionFeatureLayer = -2
    public var featureSelection: FeatureSelection = .default
    public var projectorActivation: Activation = .gelu
    public var projectorBias = true

    public init(vision: Vision, text: Text, imageTokenIndex: Int) {
        self.vision = vision
        self.text = text
        self.imageTokenIndex = imageTokenIndex
    }

    /// Image tokens per image in the text: one per patch (plus the class token for "full").
    public var imageTokensPerImage: Int {
        vision.patchCount + (featureSelection == .full ? 1 : 0)
    }

    /// The number of vision encoder layers that must run to produce the selected hidden state.
    public var visionLayersToRun: Int {
        visionFeatureLayer < 0 ? vision.layers + 1 + visionFeatureLayer : visionFeatureLayer
    }
}

extension LlavaConfiguration {
    /// Reads HF's `config.json`.
    /// - Throws: ``ModelError/invalidConfiguration(file:field:reason:)`` naming the first bad field.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        try self.init(json: data, file: url.path)
    }

    /// Reads HF's `config.json` from bytes; `file` names it in errors.
    public init(json data: Data, file: String) throws {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidConfiguration(file: file, field: "(root)", reason: "not a JSON object")
        }
        let reader = ConfigurationReader(file: file)
        if let type = root["model_type"] as? String, type != "llava" {
            throw ModelError.invalidConfiguration(file: file, field: "model_type", reason: "is \"\(type)\", expected \"llava\"")
        }
        let visionObject = try reader.object(root, "vision_config")
        let textObject = try reader.object(root, "text_config")
        let v = reader.nested("vision_config"), t = reader.nested("text_config")

        var vision = Vision(hiddenSize: try v.int(visionObject, "hidden_size"),
                            intermediateSize: try v.int(visionObject, "intermediate_size"),
                            layers: try v.int(visionObject, "num_hidden_layers"),
                            heads: try v.int(visionObject, "num_attention_heads"),
                            imageSize: try v.int(visionObject, "image_size"),
                            patchSize: try v.int(visionObject, "patch_size"))
        vision.channels = try v.int(visionObject, "num_channels", default: 3)
        vision.activation = try v.activation(visionObject, "hidden_act", default: .quickGELU)
        vision.layerNormEpsilon = try v.float(visionObject, "layer_norm_eps", default: 1e-5)

        let heads = try t.int(textObject, "num_attention_heads")
        let hidden = try t.int(textObject, "hidden_size")
        var text = Text(hiddenSize: hidden,
                        intermediateSize: try t.int(textObject, "intermediate_size"),
                        layers: try t.int(textObject, "num_hidden_layers"),
                        heads: heads,
                        keyValueHeads: try t.int(textObject, "num_key_value_heads", default: heads),
                        vocabularySize: try t.int(textObject, "vocab_size"),
                        headSize: try t.optionalInt(textObject, "head_dim"))
        if let model = textObject["model_type"] as? String, model != "llama" {
            throw ModelError.invalidConfiguration(file: file, field: "text_config.model_type",
                                                  reason: "is \"\(model)\"; Tessera implements LLaMA text models")
        }
        if let activation = textObject["hidden_act"] as? String, activation != "silu" {
            throw ModelError.invalidConfiguration(file: file, field: "text_config.hidden_act",
                                                  reason: "is \"\(activation)\"; LLaMA's MLP is SwiGLU (silu)")
        }
        if let rope = textObject["rope_parameters"] as? [String: Any] {
            text.ropeTheta = try t.nested("rope_parameters").float(rope, "rope_theta", default: 10_000)
            if let type = rope["rope_type"] as? String, type != "default" {
                throw ModelError.invalidConfiguration(file: file, field: "text_config.rope_parameters.rope_type",
                                                      reason: "is \"\(type)\"; only default RoPE is implemented")
            }
        } else {
            text.ropeTheta = try t.float(textObject, "rope_theta", default: 10_000)
        }
        if let scaling = textObject["rope_scaling"], !(scaling is NSNull) {
            throw ModelError.invalidConfiguration(file: file, field: "text_config.rope_scaling", reason: "RoPE scaling is not implemented")
        }
        text.rmsNormEpsilon = try t.float(textObject, "rms_norm_eps", default: 1e-6)
        text.maxPositions = try t.int(textObject, "max_position_embeddings", default: 2048)
        text.bosTokenID = try t.int(textObject, "bos_token_id", default: 1)
        text.eosTokenID = try t.int(textObject, "eos_token_id", default: 2)
        text.padTokenID = try t.optionalInt(textObject, "pad_token_id")
        text.attentionBias = textObject["attention_bias"] as? Bool ?? false
        text.mlpBias = textObject["mlp_bias"] as? Bool ?? false
        text.tieWordEmbeddings = (root["tie_word_embeddings"] as? Bool ?? false) || (textObject["tie_word_embeddings"] as? Bool ?? false)

        self.init(vision: vision, text: text, imageTokenIndex: try reader.int(root, "image_token_index", default: 32000))
        visionFeatureLayer = try reader.int(root, "vision_feature_layer", default: -2)
        let selection = root["vision_feature_select_strategy"] as? String ?? "default"
        guard let featureSelection = FeatureSelection(rawValue: selection) else {
            throw ModelError.invalidConfiguration(file: file, field: "vision_feature_select_strategy", reason: "is \"\(selection)\", expected default or full")
        }
        self.featureSelection = featureSelection
        projectorActivation = try reader.activation(root, "projector_hidden_act", default: .gelu)
        projectorBias = root["multimodal_projector_bias"] as? Bool ?? true
        try validate(file: file)
    }

    /// Checks that every size is positive and that the sizes fit together (heads divide widths,
    /// patches tile the image, …).
    func validate(file: String) throws {
        func require(_ condition: Bool, _ field: String, _ reason: String) throws {
            if !condition { throw ModelError.invalidConfiguration(file: file, field: field, reason: reason) }
        }
        let sizes = [("vision_config.hidden_size", vision.hiddenSize), ("vision_config.intermediate_size", vision.intermediateSize),
                     ("vision_config.num_hidden_layers", vision.layers), ("vision_config.num_attention_heads", vision.heads),
                     ("vision_config.image_size", vision.imageSize), ("vision_config.patch_size", vision.patchSize),
                     ("vision_config.num_channels", vision.channels), ("text_config.hidden_size", text.hiddenSize),
                     ("text_config.intermediate_size", text.intermediateSize), ("text_config.num_hidden_layers", text.layers),
                     ("text_config.num_attention_heads", text.heads), ("text_config.num_key_value_heads", text.keyValueHeads),
                     ("text_config.vocab_size", text.vocabularySize), ("text_config.max_position_embeddings", text.maxPositions)]
        for (field, size) in sizes { try require(size >= 1, field, "is \(size); expected an integer ≥ 1") }
        try require(vision.hiddenSize > 0 && vision.heads > 0 && vision.hiddenSize % vision.heads == 0,
                    "vision_config.num_attention_heads", "\(vision.heads) heads do not divide hidden_size \(vision.hiddenSize)")
        try require(vision.patchSize > 0 && vision.imageSize % vision.patchSize == 0,
                    "vision_config.patch_size", "\(vision.patchSize) does not tile image_size \(vision.imageSize)")
        try require(text.heads > 0 && text.keyValueHeads > 0 && text.heads % text.keyValueHeads == 0,
                    "text_config.num_key_value_heads", "\(text.keyValueHeads) does not divide \(text.heads) heads")
        try require(text.headSize > 0 && text.headSize % 2 == 0, "text_config.head_dim", "\(text.headSize) must be even for RoPE")
        try require(visionLayersToRun >= 0 && visionLayersToRun <= vision.layers,
                    "vision_feature_layer", "\(visionFeatureLayer) is outside the tower's \(vision.layers) layers")
        try require(imageTokenIndex >= 0 && imageTokenIndex < text.vocabularySize,
                    "image_token_index", "\(imageTokenIndex) is outside the vocabulary of \(text.vocabularySize)")
    }

    /// HF's `config.json` for this configuration (transformers 5 layout, keys sorted).
    public func jsonData() -> Data {
        let textConfig: [String: JSONValue] = [
            "attention_bias": .bool(text.attentionBias), "attention_dropout": .double(0), "bos_token_id": .integer(text.bosTokenID),
            "eos_token_id": .integer(text.eosTokenID), "head_dim": .integer(text.headSize), "hidden_act": .string("silu"),
            "hidden_size": .integer(text.hiddenSize), "initializer_range": .double(0.02), "intermediate_size": .integer(text.intermediateSize),
            "max_position_embeddings": .integer(text.maxPositions), "mlp_bias": .bool(text.mlpBias), "model_type": .string("llama"),
            "num_attention_heads": .integer(text.heads), "num_hidden_layers": .integer(text.layers),
            "num_key_value_heads": .integer(text.keyValueHeads), "pad_token_id": text.padTokenID.map(JSONValue.integer) ?? .null,
            "pretraining_tp": .integer(1), "rms_norm_eps": .double(Double(text.rmsNormEpsilon)),
            "rope_parameters": .sortedObject(["rope_theta": .double(Double(text.ropeTheta)), "rope_type": .string("default")]),
            "tie_word_embeddings": .bool(text.tieWordEmbeddings), "use_cache": .bool(true), "vocab_size": .integer(text.vocabularySize),
        ]
        let visionConfig: [String: JSONValue] = [
            "attention_dropout": .double(0), "hidden_act": .string(vision.activation.rawValue), "hidden_size": .integer(vision.hiddenSize),
            "image_size": .integer(vision.imageSize), "initializer_factor": .double(1), "initializer_range": .double(0.02),
            "intermediate_size": .integer(vision.intermediateSize), "layer_norm_eps": .double(Double(vision.layerNormEpsilon)),
            "model_type": .string("clip_vision_model"), "num_attention_heads": .integer(vision.heads),
            "num_channels": .integer(vision.channels), "num_hidden_layers": .integer(vision.layers), "patch_size": .integer(vision.patchSize),
            "projection_dim": .integer(512),
        ]
        let root: JSONValue = .sortedObject([
            "architectures": .array([.string("LlavaForConditionalGeneration")]), "dtype": .string("float32"),
            "image_seq_length": .integer(imageTokensPerImage), "image_token_index": .integer(imageTokenIndex), "model_type": .string("llava"),
            "multimodal_projector_bias": .bool(projectorBias), "projector_hidden_act": .string(projectorActivation.rawValue),
            "text_config": .sortedObject(textConfig), "tie_word_embeddings": .bool(text.tieWordEmbeddings),
            "vision_config": .sortedObject(visionConfig), "vision_feature_layer": .integer(visionFeatureLayer),
            "vision_feature_select_strategy": .string(featureSelection.rawValue),
        ])
        return Data(root.text.utf8)
    }
}

/// Typed field access for `config.json`, each failure naming the field's full path.
struct ConfigurationReader {
    let file: String
    var prefix = ""

    func nested(_ key: String) -> ConfigurationReader {
        ConfigurationReader(file: file, prefix: prefix + key + ".")
    }

    private func fail(_ key: String, _ reason: String) -> ModelError {
        .invalidConfiguration(file: file, field: prefix + key, reason: reason)
    }

    func object(_ object: [String: Any], _ key: String) throws -> [String: Any] {
        guard let value = object[key] as? [String: Any] else { throw fail(key, "missing or not an object") }
        return value
    }

    func optionalInt(_ object: [String: Any], _ key: String) throws -> Int? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let number = value as? Int else { throw fail(key, "is not an integer") }
        return number
    }

    func int(_ object: [String: Any], _ key: String, default fallback: Int? = nil) throws -> Int {
        guard let value = try optionalInt(object, key) ?? fallback else { throw fail(key, "missing") }
        return value
    }

    func float(_ object: [String: Any], _ key: String, default fallback: Float) throws -> Float {
        guard let value = object[key], !(value is NSNull) else { return fallback }
        guard let number = value as? Double else { throw fail(key, "is not a number") }
        return Float(number)
    }

    func activation(_ object: [String: Any], _ key: String, default fallback: Activation) throws -> Activation {
        guard let name = object[key] as? String else { return fallback }
        guard let activation = Activation(huggingFaceName: name) else { throw fail(key, "activation \"\(name)\" is not implemented") }
        return activation
    }
}
