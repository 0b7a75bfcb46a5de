import Tensor

/// LLaVA's multimodal projector (HF `LlavaMultiModalProjector`): `linear_2(act(linear_1(v)))`, mapping
/// vision features `(…, Cv)` to the language model's width `(…, C)`.
public final class Projector {
    let linear1: LinearLayer
    let linear2: LinearLayer
    let activation: Activation

    init(_ configuration: LlavaConfiguration) {
        let prefix = CheckpointNames.projector
        linear1 = LinearLayer(path: "\(prefix).linear_1", outputs: configuration.text.hiddenSize,
                              inputs: configuration.vision.hiddenSize, bias: configuration.projectorBias)
        linear2 = LinearLayer(path: "\(prefix).linear_2", outputs: configuration.text.hiddenSize,
                              inputs: configuration.text.hiddenSize, bias: configuration.projectorBias)
        activation = configuration.projectorActivation
    }

    func callAsFunction(_ features: Tensor, _ context: ForwardContext) -> Tensor {
        linear2(linear1(features, context).activated(activation), context)
    }

    var linearLayers: [LinearLayer] { [linear1, linear2] }
    var parameters: [Tensor] { linearLayers.flatMap(\.parameters) }
}
