/// The ground truth of one generated image: its modality and findings (none for a normal study).
public struct Study: Sendable, Equatable {
    /// The image identifier, e.g. `medsynth-site2-labelled-000017`.
    public let id: String
    /// The imaging modality.
    public let modality: Modality
    /// The findings, at most one per type, in drawing order.
    public let findings: [Finding]

    /// Whether the study shows no finding.
    public var isNormal: Bool { findings.isEmpty }

    /// The finding of `type`, if present.
    public func finding(of type: FindingType) -> Finding? {
        findings.first { $0.type == type }
    }
}
