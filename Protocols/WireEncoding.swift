/// How an update's values travel: `fp32` keeps them exactly, `bf16` rounds each float32 to the
/// nearest bfloat16 (ties to even), halving the bytes. Global adapters are always `fp32`.
public enum WireEncoding: String, Codable, CaseIterable, Sendable {
    case fp32
    case bf16

    /// The dtype every tensor of a container in this encoding has.
    public var dtype: TensorDType {
        switch self {
        case .fp32: return .F32
        case .bf16: return .BF16
        }
    }

    /// The encoding whose tensors have `dtype`.
    public init(dtype: TensorDType) {
        switch dtype {
        case .F32: self = .fp32
        case .BF16: self = .bf16
        }
    }
}
