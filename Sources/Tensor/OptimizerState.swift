/// An optimizer's saved state: the step count and named per-parameter tensors, ready to be written
/// with ``Safetensors`` (step in the metadata) and read back for an exact resume.
public struct OptimizerState: Equatable, Sendable {
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case missingTensor(name: String)
        case wrongSize(name: String, found: Int, expected: Int)
        case badStep(String)

        public var description: String {
            switch self {
            case let .missingTensor(name): return "optimizer state has no tensor \(name)"
            case let .wrongSize(name, found, expected):
                return "optimizer state tensor \(name) has \(found) values, expected \(expected)"
            case let .badStep(value): return "optimizer state step '\(value)' is not a non-negative integer"
            }
        }
    }

    public var step: Int
    public var tensors: [String: [Float]]

    public init(step: Int, tensors: [String: [Float]]) {
        self.step = step
        self.tensors = tensors
    }

    func tensor(_ name: String, count: Int) throws -> [Float] {
        guard let values = tensors[name] else { throw Error.missingTensor(name: name) }
        guard values.count == count else { throw Error.wrongSize(name: name, found: values.count, expected: count) }
        return values
    }

    /// The state as a safetensors file (F32 tensors, `step` in the metadata).
    public func encoded() -> [UInt8] {
        Safetensors.encode(tensors.map { .float32(name: $0.key, shape: [$0.value.count], values: $0.value) },
                           metadata: ["step": String(step)])
    }

    /// Reads a state written by ``encoded()``.
    public init(decoding file: SafetensorsFile) throws {
        guard let text = file.metadata["step"], let step = Int(text), step >= 0 else {
            throw Error.badStep(file.metadata["step"] ?? "")
        }
        var tensors: [String: [Float]] = [:]
        for name in file.names { tensors[name] = try file.floats(name) }
        self.init(step: step, tensors: tensors)
    }
}
