import ArgumentParser
import Foundation
import Ledger
import Protocols
import Reporting

/// `tessera audit report`: per-site participation and per-round outcomes from a ledger file.
struct AuditReportCommand: ParsableCommand {
    /// The output forms.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, csv, html
    }

    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report per site (rounds joined, updates accepted/rejected with reasons, samples) and per round.",
        discussion: """
            Reads the entries as they are; run `tessera audit verify` to know they are authentic. The HTML \
            form is one self-contained file (inline CSS and SVG chart, no scripts).
            """
    )

    @Option(help: "The ledger file (a copy of the aggregator's ledger.sqlite).")
    var ledger: String

    @Option(help: "Output format: text, json, csv or html.")
    var format: Format = .text

    func run() throws {
        let report = LedgerReport(entries: try LedgerFile.readEntries(at: URL(fileURLWithPath: ledger)))
        switch format {
        case .text:
            print(Self.siteTable(report).rendered(as: .text))
            print(Self.roundTable(report).rendered(as: .text), terminator: "")
        case .json:
            print(String(decoding: try WireJSON.encode(report), as: UTF8.self))
        case .csv:
            print(report.csv(), terminator: "")
        case .html:
            print(report.html(title: "Tessera ledger report: \(URL(fileURLWithPath: ledger).lastPathComponent)"), terminator: "")
        }
    }

    static func siteTable(_ report: LedgerReport) -> ResultsTable {
        var table = ResultsTable(title: "sites (\(report.entryCount) ledger entries)",
                                 columns: ["site", "rounds joined", "accepted", "rejected", "rejection reasons", "samples", "status"])
        for site in report.sites {
            let reasons = site.rejectionReasons.keys.sorted().map { "\($0): \(site.rejectionReasons[$0] ?? 0)" }
            table.append([.text(site.site), .text(site.roundsJoined.map(String.init).joined(separator: ",")),
                          .integer(site.updatesAccepted), .integer(site.updatesRejected), .text(reasons.joined(separator: ", ")),
                          .integer(site.samplesContributed), .text(site.revoked ? "revoked" : site.enrolled ? "enrolled" : "not enrolled")])
        }
        return table
    }

    static func roundTable(_ report: LedgerReport) -> ResultsTable {
        var table = ResultsTable(title: "rounds", columns: ["round", "status", "strategy", "contributors", "accepted", "rejected", "result digest"])
        for round in report.rounds {
            table.append([.integer(round.round), .text(round.status), .text(round.strategy ?? "-"),
                          .text(round.contributors.joined(separator: ",")), .integer(round.updatesAccepted),
                          .integer(round.updatesRejected), .text(round.resultDigest ?? round.failureReason ?? "-")])
        }
        return table
    }
}
