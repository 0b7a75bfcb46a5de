import Foundation

/// The report as CSV (RFC 4180): a per-site table, an empty line, then a per-round table, each
/// with its header row. Lists inside a cell are separated by `;`.
extension LedgerReport {
    /// The CSV text, lines ending in CRLF as RFC 4180 says.
    public func csv() -> String {
        var lines = [["site", "enrolled", "revoked", "rounds_joined", "updates_accepted", "updates_rejected",
                      "rejection_reasons", "samples_contributed"].joined(separator: ",")]
        for site in sites {
            let reasons = site.rejectionReasons.keys.sorted().map { "\($0): \(site.rejectionReasons[$0] ?? 0)" }
            lines.append([site.site, "\(site.enrolled)", "\(site.revoked)", site.roundsJoined.map(String.init).joined(separator: ";"),
                          "\(site.updatesAccepted)", "\(site.updatesRejected)", reasons.joined(separator: ";"),
                          "\(site.samplesContributed)"].map(Self.field).joined(separator: ","))
        }
        lines.append("")
        lines.append(["round", "status", "strategy", "contributors", "updates_accepted", "updates_rejected",
                      "result_digest", "failure_reason"].joined(separator: ","))
        for round in rounds {
            lines.append(["\(round.round)", round.status, round.strategy ?? "", round.contributors.joined(separator: ";"),
                          "\(round.updatesAccepted)", "\(round.updatesRejected)", round.resultDigest ?? "",
                          round.failureReason ?? ""].map(Self.field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A field quoted when it holds a comma, quote or line break (looked for scalar by scalar: "\r\n"
    /// is one character, equal to neither), quotes doubled.
    static func field(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
