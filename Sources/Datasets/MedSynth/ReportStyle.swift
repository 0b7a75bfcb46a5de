/// How a hospital writes its reports.
public enum ReportStyle: String, CaseIterable, Sendable, Codable {
    /// Telegraphic: "CXR: 2 small nodules, R upper zone. No effusion."
    case terse
    /// Full sentences: "The chest radiograph shows two small nodules in the upper zone of the right lung…"
    case narrative
    /// Sections: "FINDINGS: … IMPRESSION: …"
    case structured
}
