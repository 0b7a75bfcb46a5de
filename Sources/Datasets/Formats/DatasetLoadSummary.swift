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

    /// A line for people naming `file`, its items loaded, skipped (by reason) and its unknown fields;
    /// `nil` when nothing was skipped and every field was known.
    public func note(file: String) -> String? {
        guard !skipped.isEmpty || !unknownFields.isEmpty else { return nil }
        func counts(_ counts: [String: Int], _ line: (String, Int) -> String) -> String {
            counts.sorted { $0.key < $1.key }.map { line($0.key, $0.value) }.joined(separator: ", ")
        }
        var parts = ["\(file): \(loaded) items loaded"]
        if !skipped.isEmpty { parts.append("skipped " + counts(skipped) { reason, count in "\(count) (\(reason))" }) }
        if !unknownFields.isEmpty {
            parts.append("unknown fields ignored: " + counts(unknownFields) { field, count in "\(field) (in \(count))" })
        }
        return parts.joined(separator: "; ")
    }

    mutating func skip(_ reason: String) { skipped[reason, default: 0] += 1 }

    mutating func noteUnknown(_ fields: [String]) {
        for field in fields { unknownFields[field, default: 0] += 1 }
    }
}
