/// Why training could not start or had to stop. Each names what to fix.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case unknownObjective(name: String, known: [String])
    case invalidObjectiveOption(objective: String, option: String, value: String, expected: String)
    case missingField(objective: String, field: String, example: String)
    case emptyDataset
    case sequenceTooShort(example: String, maximumLength: Int, imageEnd: Int)
    case nonFiniteLoss(step: Int, component: String, lastCheckpoint: String?)
    /// The loss was finite but its gradient was not (an overflow in the backward pass).
    case nonFiniteGradient(step: Int, lastCheckpoint: String?)
    case invalidConfiguration(field: String, reason: String)
    case checkpointMismatch(file: String, reason: String)
    /// The checkpoint is whole but belongs to another run: another seed, batch size, step count or
    /// list of training examples.
    case checkpointOfOtherRun(file: String, reason: String)
    case checkpointWriteFailed(directory: String, reason: String)
    /// The trained adapter (or model), objective parameters and metrics could not be written;
    /// `checkpoint` is a checkpoint that holds the finished run, if there is one.
    case outputWriteFailed(directory: String, reason: String, checkpoint: String?)

    public var description: String {
        switch self {
        case let .unknownObjective(name, known):
            return "unknown objective \"\(name)\"; known: \(known.joined(separator: ", "))"
        case let .invalidObjectiveOption(objective, option, value, expected):
            return "objective \(objective): option \(option)=\"\(value)\" is not \(expected)"
        case let .missingField(objective, field, example):
            return "objective \(objective) needs \(field), which example \(example) does not have"
        case .emptyDataset:
            return "the dataset has no examples"
        case let .sequenceTooShort(example, maximumLength, imageEnd):
            return "example \(example): the image tokens end at \(imageEnd), past the maximum sequence length \(maximumLength)"
        case let .nonFiniteLoss(step, component, lastCheckpoint):
            return "step \(step): the \(component) loss is not finite; training stopped"
                + (lastCheckpoint.map { ", the last good checkpoint is \($0)" } ?? " before any checkpoint was written")
        case let .nonFiniteGradient(step, lastCheckpoint):
            return "step \(step): the gradient is not finite although the loss is; training stopped"
                + (lastCheckpoint.map { ", the last good checkpoint is \($0)" } ?? " before any checkpoint was written")
        case let .invalidConfiguration(field, reason):
            return "training configuration: \(field) \(reason)"
        case let .checkpointMismatch(file, reason):
            return "\(file): cannot resume from this checkpoint (\(reason))"
        case let .checkpointOfOtherRun(file, reason):
            return "\(file): the checkpoint belongs to another run (\(reason)); resume with that run's settings and data, or start without it"
        case let .checkpointWriteFailed(directory, reason):
            return "cannot write the checkpoint \(directory): \(reason); the previous checkpoint, if any, is kept"
        case let .outputWriteFailed(directory, reason, checkpoint):
            return "cannot write the training outputs to \(directory): \(reason)"
                + (checkpoint.map { ". The checkpoint \($0) holds the finished run: resuming from it writes them without training again" } ?? "")
        }
    }
}
