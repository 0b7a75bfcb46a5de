/// Why a base model, plan or adapter does not fit together.
public enum PlanBindingError: Error, Equatable, CustomStringConvertible {
    case missingBaseFile(directory: String, file: String)
    case unreadable(path: String, reason: String)
    /// A base model whose digest is not the round's.
    case baseDigestMismatch(directory: String, found: String, expected: String)
    /// An adapter tensor the model has no place for, or one it lacks.
    case adapterMismatch(tensor: String, reason: String)
    /// A campaign file that is not TOML or does not make a valid plan.
    case campaignInvalid(file: String, reason: String)
    case invalidObjectiveOption(objective: String, option: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .missingBaseFile(directory, file):
            return "the base model directory \(directory) has no \(file)"
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .baseDigestMismatch(directory, found, expected):
            return "the base model in \(directory) has digest \(found), but the round uses \(expected)"
        case let .adapterMismatch(tensor, reason):
            return "adapter tensor \(tensor): \(reason)"
        case let .invalidObjectiveOption(objective, option, value, expected):
            return "objective \(objective): option \(option) is \(value), expected one of \(expected)"
        case let .campaignInvalid(file, reason):
            return "campaign file \(file): \(reason)"
        }
    }
}
