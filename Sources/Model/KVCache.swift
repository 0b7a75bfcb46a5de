import Tensor

/// Keys and values of the tokens seen so far, per decoder layer, so generation computes each new
/// token's attention without recomputing the prefix. `keys[l]`, `values[l]`: `(N, S, Hkv·D)`, keys
/// after RoPE. Inference only (nothing recorded).
public final class KVCache {
    private var keys: [Tensor?]
    private var values: [Tensor?]

    public init(layers: Int) {
        keys = Array(repeating: nil, count: layers)
        values = Array(repeating: nil, count: layers)
    }

    /// The number of cached tokens per sequence.
    public var length: Int { keys.first.flatMap { $0?.shape[1] } ?? 0 }

    /// Appends the new tokens' keys and values for `layer`; returns everything cached for it.
    func appending(keys newKeys: Tensor, values newValues: Tensor, layer: Int) -> (Tensor, Tensor) {
        let k = keys[layer].map { Tensor.concatenated([$0, newKeys], alongAxis: 1) } ?? newKeys
        let v = values[layer].map { Tensor.concatenated([$0, newValues], alongAxis: 1) } ?? newValues
        keys[layer] = k.detached()
        values[layer] = v.detached()
        return (k, v)
    }
}
