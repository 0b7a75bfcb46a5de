/// What one tensor must be: its name (PEFT's, or `tessera.objective.<objective>.…`), shape and
/// element type. The plan's upload and global lists are made of these, and a ``DeltaContainer``
/// is checked against them.
public struct TensorSpec: Codable, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    /// Row-major extents, e.g. `[r, in]` for a `lora_A` weight.
    public var shape: [Int]
    public var dtype: TensorDType

    public init(name: String, shape: [Int], dtype: TensorDType) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
    }

    /// The number of elements, `Π shape`.
    public var elementCount: Int { shape.reduce(1, *) }

    /// The bytes of the tensor's data, `elementCount × dtype.byteCount`.
    public var byteCount: Int { elementCount * dtype.byteCount }

    public var description: String { "\(name) \(dtype.rawValue) \(shape)" }
}

extension Array where Element == TensorSpec {
    /// The specs sorted by name in UTF-8 byte order, the order tensors have in a container.
    public var canonicallyOrdered: [TensorSpec] {
        sorted { [UInt8]($0.name.utf8).lexicographicallyPrecedes([UInt8]($1.name.utf8)) }
    }
}
