/// Why an operator command or the server's set-up failed.
public enum AggregatorError: Error, Equatable, CustomStringConvertible {
    case configurationInvalid(file: String, reason: String)

    public var description: String {
        switch self {
        case let .configurationInvalid(file, reason): return "\(file): \(reason)"
        }
    }
}
