/// The CPU-sized LLaVA configurations Tessera defines (ARCHITECTURE.md, "Model family").
///
/// | preset | image/patch | vision width × layers | text width × layers (heads/KV) | vocabulary | parameters | used for |
/// | --- | --- | --- | --- | --- | --- | --- |
/// | tiny  | 16/4 | 32 × 2  | 64 × 2 (4/2)   | 512  | 191,936   | tests (seconds) |
/// | demo  | 48/8 | 64 × 2  | 128 × 2 (4/2)  | 1024 | 758,912   | `make demo` |
/// | small | 64/8 | 128 × 4 | 256 × 4 (4/4)  | 2048 | 5,089,280 | benchmarks (`tessera bench model`) |
///
/// `tessera bench model` prints each preset's parameters, the LoRA step's trained parameters and
/// its measured step time (README, "Benchmarks").
public enum ModelPreset: String, CaseIterable, Sendable {
    case tiny, demo, small

    /// The configuration, with the image token as the last vocabulary entry (the tokenizer the
    /// recipe trains reserves it there).
    public var configuration: LlavaConfiguration {
        let vision: LlavaConfiguration.Vision, text: LlavaConfiguration.Text
        switch self {
        case .tiny:
            vision = .init(hiddenSize: 32, intermediateSize: 128, layers: 2, heads: 2, imageSize: 16, patchSize: 4)
            text = .init(hiddenSize: 64, intermediateSize: 176, layers: 2, heads: 4, keyValueHeads: 2, vocabularySize: 512)
        case .demo:
            vision = .init(hiddenSize: 64, intermediateSize: 256, layers: 2, heads: 2, imageSize: 48, patchSize: 8)
            text = .init(hiddenSize: 128, intermediateSize: 336, layers: 2, heads: 4, keyValueHeads: 2, vocabularySize: 1024)
        case .small:
            vision = .init(hiddenSize: 128, intermediateSize: 512, layers: 4, heads: 4, imageSize: 64, patchSize: 8)
            text = .init(hiddenSize: 256, intermediateSize: 672, layers: 4, heads: 4, keyValueHeads: 4, vocabularySize: 2048)
        }
        var configuration = LlavaConfiguration(vision: vision, text: text, imageTokenIndex: text.vocabularySize - 1)
        configuration.text.maxPositions = 512
        configuration.text.rmsNormEpsilon = 1e-5
        return configuration
    }
}
