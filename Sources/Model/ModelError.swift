/// Errors of the model library: configurations, checkpoints and adapters that do not fit.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case invalidConfiguration(file: String, field: String, reason: String)
    case missingTensor(file: String, tensor: String)
    case unexpectedTensors(file: String, tensors: [String])
    case shapeMismatch(file: String, tensor: String, found: [Int], expected: [Int])
    case adapterMatchesNothing(file: String, targetModules: String)
    case invalidInput(reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot be read (\(reason))"
        case let .invalidConfiguration(file, field, reason):
            return "\(file): \(field) \(reason)"
        case let .missingTensor(file, tensor):
            return "\(file): tensor \(tensor) is missing"
        case let .unexpectedTensors(file, tensors):
            let shown = tensors.prefix(5).joined(separator: ", ")
            return "\(file): \(tensors.count) tensor(s) the model does not have: \(shown)\(tensors.count > 5 ? ", …" : "")"
        case let .shapeMismatch(file, tensor, found, expected):
            return "\(file): tensor \(tensor) has shape \(found), expected \(expected)"
        case let .adapterMatchesNothing(file, targetModules):
            return "\(file): target_modules \(targetModules) match no linear layer of the model"
        case let .invalidInput(reason):
            return reason
        }
    }
}
