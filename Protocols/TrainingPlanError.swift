/// Why a training plan was refused. Fields are named by their JSON path (`schedule.steps`,
/// `tensors.upload`), the form an operator writes in the campaign file.
public enum TrainingPlanError: Error, Equatable, CustomStringConvertible {
    /// The JSON is not a plan: a field is missing or has the wrong type.
    case malformed(path: String, reason: String)
    case unsupportedProtocolVersion(found: Int, expected: Int)
    case unknownField(path: String)
    case invalidValue(field: String, value: String, expected: String)
    /// FFA-LoRA and the `ffa` strategy go together: `lora.ffa` is true iff `round.strategy` is `ffa`.
    case ffaMismatch(ffa: Bool, strategy: String)
    case duplicateTensor(field: String, tensor: String)
    case missingTensor(field: String, tensor: String)
    case unexpectedTensor(field: String, tensor: String, reason: String)
    case shapeMismatch(field: String, tensor: String, found: [Int], expected: [Int])
    case dtypeMismatch(field: String, tensor: String, found: String, expected: String)

    public init(_ error: DecodingError) {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        func joined(_ context: DecodingError.Context, _ key: String) -> String {
            let prefix = path(context)
            return prefix.isEmpty ? key : "\(prefix).\(key)"
        }
        switch error {
        case let .keyNotFound(key, context):
            self = .malformed(path: joined(context, key.stringValue), reason: "required field is missing")
        case let .typeMismatch(type, context):
            self = .malformed(path: path(context), reason: "expected \(type)")
        case let .valueNotFound(type, context):
            self = .malformed(path: path(context), reason: "expected \(type), found null")
        case let .dataCorrupted(context):
            self = .malformed(path: path(context), reason: context.debugDescription)
        @unknown default:
            self = .malformed(path: "", reason: "\(error)")
        }
    }

    public var description: String {
        switch self {
        case let .malformed(path, reason):
            return "training plan: \(path.isEmpty ? "document" : path): \(reason)"
        case let .unsupportedProtocolVersion(found, expected):
            return "training plan: protocol_version \(found) is not supported by this build (speaks \(expected)); upgrade the site and aggregator together"
        case let .unknownField(path):
            return "training plan: unknown field \(path) (plan fields cannot be ignored; check its spelling or upgrade)"
        case let .invalidValue(field, value, expected):
            return "training plan: \(field) is \(value), expected \(expected)"
        case let .ffaMismatch(ffa, strategy):
            return "training plan: lora.ffa is \(ffa) but round.strategy is \(strategy); FFA-LoRA requires strategy ffa and strategy ffa requires lora.ffa = true"
        case let .duplicateTensor(field, tensor):
            return "training plan: \(field) lists tensor \(tensor) twice"
        case let .missingTensor(field, tensor):
            return "training plan: \(field) lacks tensor \(tensor)"
        case let .unexpectedTensor(field, tensor, reason):
            return "training plan: \(field) lists tensor \(tensor), which \(reason)"
        case let .shapeMismatch(field, tensor, found, expected):
            return "training plan: \(field): tensor \(tensor) has shape \(found), expected \(expected)"
        case let .dtypeMismatch(field, tensor, found, expected):
            return "training plan: \(field): tensor \(tensor) is \(found), expected \(expected)"
        }
    }
}
