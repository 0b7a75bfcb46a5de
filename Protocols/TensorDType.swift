import Tensor

/// The element types tensors travel in: safetensors' `F32` and `BF16` names.
public enum TensorDType: String, Codable, CaseIterable, Sendable {
    case F32
    case BF16

    /// The same type in the safetensors codec.
    public var safetensors: Safetensors.DType {
        switch self {
        case .F32: return .F32
        case .BF16: return .BF16
        }
    }

    /// Bytes per element: 4 for F32, 2 for BF16.
    public var byteCount: Int { safetensors.byteCount }

    /// The wire type for a safetensors type; nil for types that never travel.
    public init?(_ dtype: Safetensors.DType) {
        switch dtype {
        case .F32: self = .F32
        case .BF16: self = .BF16
        case .F64, .F16, .I64, .I32, .I16, .I8, .U16, .U8, .BOOL: return nil
        }
    }
}
