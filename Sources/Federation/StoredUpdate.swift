import Protocols

/// A stored container read as an update: the site and sample count from its header, the values
/// straight from its byte planes.
struct StoredUpdate: UpdateSource {
    let stored: DeltaContainer.Stored

    var site: String { stored.header.site ?? stored.source }
    var sampleCount: Int { stored.header.sampleCount }
    var tensorNames: [String] { stored.tensors.map(\.name) }

    func shape(ofTensor name: String) -> [Int]? { stored.shape(ofTensor: name) }

    func firstNonFiniteValue() -> (tensor: String, index: Int, value: Float)? { stored.firstNonFiniteValue() }

    func forEachChunk(ofTensor name: String, _ body: (Int, UnsafeBufferPointer<Float>) throws -> Void) rethrows {
        try stored.forEachChunk(ofTensor: name, body)
    }
}
