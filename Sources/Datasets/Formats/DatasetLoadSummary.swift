/// What a loader did with a file besides returning its items: items skipped and why, and fields it
/// did not recognise.
///
/// Policy for unknown fields: they are ignored and counted by name here (the CLI prints the counts),
/// so a newer or richer file still loads, and a misspelt field is visible rather than silent.
public struct DatasetLoadSummary: Sendable, Equatable {
    /// The items kept.
    public var loaded = 0
    /// Items skipped, by reason (e.g. `"non-English (q_lang zh)": 7033`).
    public var skipped: [String: Int] = [:]
    /// Unknown fields, by name, with the number of items that carried them.
    public var unknownFields: [String: Int] = [:]

    /// An empty summary.
    public init() {}

    mutating func skip(_ reason: String) { skipped[reason, default: 0] += 1 }

    mutating func noteUnknown(_ fields: [String]) {
        for field in fields { unknownFields[field, default: 0] += 1 }
    }
}
