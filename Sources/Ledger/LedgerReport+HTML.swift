import Foundation

/// The report as one self-contained HTML file: inline CSS, the per-site and per-round tables and a
/// per-round participation chart in inline SVG; no scripts, no external resources.
extension LedgerReport {
    /// The HTML page; `title` heads it (the ledger file's name, for instance).
    public func html(title: String) -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(Self.escaped(title))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}
            table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left}
            th{background:#eee}td.n{text-align:right}code{font-size:.85em}
            </style></head><body>
            <h1>\(Self.escaped(title))</h1>
            <p>\(entryCount) ledger entries. This report reads the entries as they are; <code>tessera audit verify</code> checks that they are authentic.</p>
            <h2>Participation per round</h2>
            \(chart())
            <h2>Sites</h2>
            <table><tr><th>site</th><th>enrolled</th><th>revoked</th><th>rounds joined</th><th>accepted</th><th>rejected</th><th>rejection reasons</th><th>samples</th></tr>

            """
        for site in sites {
            let reasons = site.rejectionReasons.keys.sorted().map { "\($0): \(site.rejectionReasons[$0] ?? 0)" }.joined(separator: ", ")
            page += "<tr><td>\(Self.escaped(site.site))</td><td>\(site.enrolled ? "yes" : "no")</td><td>\(site.revoked ? "yes" : "no")</td>"
                + "<td>\(site.roundsJoined.map(String.init).joined(separator: ", "))</td><td class=\"n\">\(site.updatesAccepted)</td>"
                + "<td class=\"n\">\(site.updatesRejected)</td><td>\(Self.escaped(reasons))</td><td class=\"n\">\(site.samplesContributed)</td></tr>\n"
        }
        page += """
            </table>
            <h2>Rounds</h2>
            <table><tr><th>round</th><th>status</th><th>strategy</th><th>contributors</th><th>accepted</th><th>rejected</th><th>result digest</th></tr>

            """
        for round in rounds {
            let outcome = round.resultDigest.map { "<code>\(Self.escaped($0))</code>" } ?? Self.escaped(round.failureReason ?? "")
            page += "<tr><td class=\"n\">\(round.round)</td><td>\(round.status)</td><td>\(Self.escaped(round.strategy ?? ""))</td>"
                + "<td>\(Self.escaped(round.contributors.joined(separator: ", ")))</td><td class=\"n\">\(round.updatesAccepted)</td>"
                + "<td class=\"n\">\(round.updatesRejected)</td><td>\(outcome)</td></tr>\n"
        }
        page += "</table>\n</body></html>\n"
        return page
    }

    /// Stacked bars per round: accepted updates (green) under rejected ones (red), with a legend.
    private func chart() -> String {
        let barWidth = 36, gap = 16, height = 160, left = 40, top = 20
        let maximum = max(1, rounds.map { $0.updatesAccepted + $0.updatesRejected }.max() ?? 1)
        let width = left + rounds.count * (barWidth + gap) + gap
        let scale = Double(height) / Double(maximum)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(max(width, 240))\" height=\"\(height + top + 50)\" "
            + "role=\"img\" aria-label=\"updates accepted and rejected per round\">\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top + height)\" x2=\"\(max(width, 240))\" y2=\"\(top + height)\" stroke=\"#555\"/>\n"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + 4)\" font-size=\"11\" text-anchor=\"end\">\(maximum)</text>\n"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + height)\" font-size=\"11\" text-anchor=\"end\">0</text>\n"
        for (index, round) in rounds.enumerated() {
            let x = left + gap + index * (barWidth + gap)
            let accepted = Int((Double(round.updatesAccepted) * scale).rounded())
            let rejected = Int((Double(round.updatesRejected) * scale).rounded())
            svg += "<rect x=\"\(x)\" y=\"\(top + height - accepted)\" width=\"\(barWidth)\" height=\"\(accepted)\" fill=\"#3a8a3a\">"
                + "<title>round \(round.round): \(round.updatesAccepted) accepted</title></rect>\n"
            svg += "<rect x=\"\(x)\" y=\"\(top + height - accepted - rejected)\" width=\"\(barWidth)\" height=\"\(rejected)\" fill=\"#c0392b\">"
                + "<title>round \(round.round): \(round.updatesRejected) rejected</title></rect>\n"
            svg += "<text x=\"\(x + barWidth / 2)\" y=\"\(top + height + 14)\" font-size=\"11\" text-anchor=\"middle\">\(round.round)</text>\n"
        }
        svg += "<text x=\"\(left)\" y=\"\(top + height + 32)\" font-size=\"11\">round (green: accepted, red: rejected)</text>\n</svg>"
        return svg
    }

    /// Text with &, <, >, " and ' replaced by entities, scalar by scalar: a character (grapheme
    /// cluster) can hold one of them behind a prepended mark ("\u{600}<"), which an HTML parser
    /// still reads as markup.
    static func escaped(_ text: String) -> String {
        var output = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output.append(contentsOf: "&amp;".unicodeScalars)
            case "<": output.append(contentsOf: "&lt;".unicodeScalars)
            case ">": output.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": output.append(contentsOf: "&quot;".unicodeScalars)
            case "'": output.append(contentsOf: "&#39;".unicodeScalars)
            default: output.append(scalar)
            }
        }
        return String(output)
    }
}
