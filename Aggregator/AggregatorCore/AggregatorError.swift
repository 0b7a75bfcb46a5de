/// Why an operator command, the server's set-up or a round step failed.
public enum AggregatorError: Error, Equatable, CustomStringConvertible {
    case configurationInvalid(file: String, reason: String)
    /// A write to the state directory failed (disk full, I/O error); nothing partial was kept.
    case storageFailed(path: String, reason: String)
    case certificateRefused(file: String, reason: String)
    case noSuchSite(String)
    case noSuchRound(Int)
    case noCampaign
    case campaignRunning(name: String, round: Int)
    case roundNotOpen(round: Int, state: String)
    case baseModelInvalid(directory: String, reason: String)
    /// Another `serve` holds the state directory (its process id, when known).
    case stateInUse(directory: String, holder: Int32?)

    public var description: String {
        switch self {
        case let .configurationInvalid(file, reason): return "\(file): \(reason)"
        case let .storageFailed(path, reason): return "cannot store \(path): \(reason)"
        case let .certificateRefused(file, reason): return "\(file): \(reason)"
        case let .noSuchSite(site): return "no site \(site) is enrolled"
        case let .noSuchRound(round): return "there is no round \(round)"
        case .noCampaign: return "no campaign has started; run `tessera-aggregator campaign start`"
        case let .campaignRunning(name, round): return "campaign \(name) is still running (round \(round)); wait for it to finish"
        case let .roundNotOpen(round, state): return "round \(round) is \(state), not open"
        case let .baseModelInvalid(directory, reason): return "base model \(directory): \(reason)"
        case let .stateInUse(directory, holder):
            return "another tessera-aggregator serve\(holder.map { " (process \($0))" } ?? "") runs on the state directory \(directory); "
                + "stop it first"
        }
    }
}
