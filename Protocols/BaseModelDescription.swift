/// The few facts about a base model that decide an adapter's tensors, handed to Protocols by the
/// Model library (which knows the architecture and PEFT's module paths), so Protocols never
/// imports a model.
///
/// For the tiny LLaVA fixture (text width 64, 2 key/value heads of 16) the Model library lists,
/// among others:
/// ```
/// linearLayers: ("model.language_model.layers.0.self_attn.q_proj", in: 64, out: 64)
///               ("model.language_model.layers.0.self_attn.v_proj", in: 64, out: 32) …
/// parameters:   ("model.multi_modal_projector.linear_1.weight", [64, 32])
///               ("model.multi_modal_projector.linear_1.bias", [64]) …
/// ```
/// Paths are PyTorch's `named_modules()`/`named_parameters()` paths of
/// `LlavaForConditionalGeneration`; PEFT prefixes them with `base_model.model.`
/// (see ``TrainingPlan/Tensors/derived(from:lora:encoding:objectiveTensors:)``).
public struct BaseModelDescription: Codable, Equatable, Sendable {
    /// One `nn.Linear` a LoRA adapter may target: `y = x Wᵀ + b`, `W: (outFeatures, inFeatures)`.
    public struct LinearLayer: Codable, Equatable, Sendable {
        /// The module path, e.g. `model.language_model.layers.0.self_attn.q_proj`.
        public var modulePath: String
        public var inFeatures: Int
        public var outFeatures: Int

        public init(modulePath: String, inFeatures: Int, outFeatures: Int) {
            self.modulePath = modulePath
            self.inFeatures = inFeatures
            self.outFeatures = outFeatures
        }

        enum CodingKeys: String, CodingKey {
            case modulePath = "module_path", inFeatures = "in_features", outFeatures = "out_features"
        }
    }

    /// One parameter of the base model, a candidate for `modules_to_save`.
    public struct Parameter: Codable, Equatable, Sendable {
        /// The parameter path, e.g. `model.multi_modal_projector.linear_1.weight`.
        public var path: String
        public var shape: [Int]

        public init(path: String, shape: [Int]) {
            self.path = path
            self.shape = shape
        }
    }

    /// Every linear layer LoRA may adapt.
    public var linearLayers: [LinearLayer]
    /// Every parameter of the base model (at least those of modules that may be saved in full).
    public var parameters: [Parameter]

    public init(linearLayers: [LinearLayer], parameters: [Parameter]) {
        self.linearLayers = linearLayers
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case linearLayers = "linear_layers", parameters
    }
}
