/// Why the site agent could not take part in a round or read its own state. Each case says what
/// to fix; the agent logs it and, in `run`, tries again later.
public enum SiteAgentError: Error, Equatable, CustomStringConvertible {
    /// A file of the state directory is unreadable or not what the agent wrote.
    case corruptState(file: String, reason: String)
    /// The site certificate has no subject common name, so there is no site id.
    case noSiteID(certificate: String)
    /// The aggregator does not have a required file of the round's base model.
    case baseFileMissing(digest: String, file: String)
    /// An encoded update exceeds the plan's `wire.maximum_upload_bytes`.
    case updateTooLarge(round: Int, bytes: Int, limit: Int)
    /// `train --once` or `eval` needs a base model directory and the configuration names none.
    case noLocalBaseModel(file: String)
    /// An aggregator answer that is not the JSON the API describes (another server or version).
    case unreadableAnswer(url: String, reason: String)
    /// The labelled directory holds none of the examples the plan trains on.
    case noTrainingExamples(directory: String, kind: String)
    /// The external trainer command did not start, or exited with a status other than 0 (-1: it
    /// could not be started; 128 + N: signal N ended it).
    case externalTrainerFailed(command: String, status: Int32, log: String, lastLines: String)
    /// A file the external trainer wrote (or a job file it was given) cannot be used.
    case externalTrainerOutput(file: String, reason: String)
    /// Another process (its id, when it wrote it) runs an agent on this state directory.
    case stateInUse(directory: String, holder: Int32?)

    public var description: String {
        switch self {
        case let .corruptState(file, reason):
            return "state file \(file) cannot be used: \(reason); move it aside to let the agent rebuild it"
        case let .noSiteID(certificate):
            return "the site certificate \(certificate) has no subject CN, so it names no site; use the certificate from the site bundle"
        case let .baseFileMissing(digest, file):
            return "the aggregator has no \(file) for base model \(digest); ask the consortium operator"
        case let .updateTooLarge(round, bytes, limit):
            return "round \(round): the update is \(bytes) bytes, more than the plan's wire.maximum_upload_bytes of \(limit); not sent"
        case let .noLocalBaseModel(file):
            return "\(file): [model] base is not set and the state directory holds no base model downloaded by the agent; "
                + "offline commands need a local base model (set it, or pass --base)"
        case let .unreadableAnswer(url, reason):
            return "\(url) answered with a body the site agent cannot read (\(reason)); check the aggregator URL and that site and aggregator run the same Tessera version"
        case let .noTrainingExamples(directory, kind):
            let files = kind == "vqa" ? "vqa.json" : kind == "conversations" ? "llava_instruct.json" : "llava_instruct.json or vqa.json"
            return "\(directory) has no training examples of the kind this round's plan trains on (\(kind): \(files)); "
                + "the site sits this round out unless [data] labelled gets them"
        case let .externalTrainerFailed(command, status, log, lastLines):
            let outcome = status == -1 ? "could not be started" : "exited with status \(status)"
            return "the external trainer `\(command)` \(outcome); its output is in \(log)\(lastLines.isEmpty ? "" : ", ending:\n\(lastLines)")"
        case let .externalTrainerOutput(file, reason):
            return "the external trainer's \(file) cannot be used: \(reason) (docs/EXTERNAL_TRAINER.md says what it must write)"
        case let .stateInUse(directory, holder):
            return "another site agent\(holder.map { " (process \($0))" } ?? "") runs on the state directory \(directory); "
                + "stop it first, or give this agent a state directory of its own"
        }
    }
}
