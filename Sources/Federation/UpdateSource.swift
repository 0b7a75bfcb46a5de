import Protocols

/// An update as ``WeightedAverage`` reads it: its tensors' names and shapes, then their values in
/// chunks, from memory (``SiteUpdate``) or straight from a stored container's byte planes
/// (``DeltaContainer/Stored``), so both paths share one accumulation.
protocol UpdateSource {
    var site: String { get }
    var sampleCount: Int { get }
    /// Names in canonical order.
    var tensorNames: [String] { get }
    func shape(ofTensor name: String) -> [Int]?
    /// The first NaN or ±Inf in canonical tensor order.
    func firstNonFiniteValue() -> (tensor: String, index: Int, value: Float)?
    /// Calls `body` with consecutive chunks of tensor `name` and each chunk's element offset.
    func forEachChunk(ofTensor name: String, _ body: (_ offset: Int, _ values: UnsafeBufferPointer<Float>) throws -> Void) rethrows
}

extension SiteUpdate: UpdateSource {
    var tensorNames: [String] { adapter.tensors.map(\.name) }

    func shape(ofTensor name: String) -> [Int]? { adapter[name]?.shape }

    func firstNonFiniteValue() -> (tensor: String, index: Int, value: Float)? {
        for tensor in adapter.tensors {
            if let index = tensor.values.withUnsafeBufferPointer(AggregationKernels.firstNonFinite) {
                return (tensor.name, index, tensor.values[index])
            }
        }
        return nil
    }

    func forEachChunk(ofTensor name: String, _ body: (Int, UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        guard let tensor = adapter[name] else { return }
        try tensor.values.withUnsafeBufferPointer { try body(0, $0) }
    }
}
