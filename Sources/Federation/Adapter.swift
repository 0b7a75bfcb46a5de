import Protocols

/// A LoRA adapter as the aggregator handles it: named float32 tensors in PEFT's names
/// (``AdapterTensorName``), `lora_A: [r, in]`, `lora_B: [out, r]`, plus `modules_to_save`
/// parameters and objective tensors at their own shapes. Tensors are kept in canonical order
/// (UTF-8 byte order of names), the order a ``DeltaContainer`` stores them in.
public struct Adapter: Equatable, Sendable {
    /// The tensors, sorted by name.
    public let tensors: [NamedTensor]
    /// Position of each name in `tensors`.
    let positions: [String: Int]

    /// An adapter of `tensors` (any order).
    /// - Parameter owner: who the tensors come from, in errors ("site-a", "global adapter").
    /// - Throws: ``AggregationError/duplicateTensor(site:tensor:)``,
    ///   ``AggregationError/shapeMismatch(site:tensor:found:expected:)`` when a value count does
    ///   not fill its shape (expected is then `[values.count]`).
    public init(_ tensors: [NamedTensor], owner: String = "adapter") throws {
        let sorted = tensors.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        var positions: [String: Int] = [:]
        for (position, tensor) in sorted.enumerated() {
            guard positions.updateValue(position, forKey: tensor.name) == nil else {
                throw AggregationError.duplicateTensor(site: owner, tensor: tensor.name)
            }
            guard tensor.shape.allSatisfy({ $0 >= 0 }), tensor.shape.reduce(1, *) == tensor.values.count else {
                throw AggregationError.shapeMismatch(site: owner, tensor: tensor.name, found: tensor.shape, expected: [tensor.values.count])
            }
        }
        self.tensors = sorted
        self.positions = positions
    }

    /// The tensor called `name`, or nil.
    public subscript(name: String) -> NamedTensor? {
        positions[name].map { tensors[$0] }
    }

    /// The number of float32 values over all tensors.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.values.count } }

    /// The names of the `lora_A` tensors: FFA's frozen factors.
    public var loraANames: Set<String> {
        Set(tensors.compactMap { tensor in
            if case .loraA = AdapterTensorName(parsing: tensor.name) { return tensor.name }
            return nil
        })
    }
}
