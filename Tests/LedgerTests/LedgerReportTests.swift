import Foundation
import Ledger
import Protocols
import Testing

/// Per-site and per-round participation read from the fixture's two-round campaign.
struct LedgerReportTests {
    static func report() throws -> (LedgerReport, LedgerFixture) {
        let fixture = try LedgerFixture()
        try fixture.appendCampaign()
        return (LedgerReport(entries: try fixture.store.entries(after: 0, limit: 100)), fixture)
    }

    /// Sites: rounds joined, accepted/rejected with reasons, samples; rounds: status, strategy, contributors.
    @Test func summarisesSitesAndRounds() throws {
        let (report, fixture) = try Self.report()
        defer { fixture.remove() }
        #expect(report.entryCount == 17)
        let sites = report.sites
        #expect(sites.map(\.site) == ["site-a", "site-b", "site-c"])
        #expect(sites.map(\.roundsJoined) == [[1], [1, 2], []])
        #expect(sites.map(\.updatesAccepted) == [1, 2, 0])
        #expect(sites.map(\.updatesRejected) == [0, 0, 1])
        #expect(sites.map(\.rejectionReasons) == [[:], [:], ["non-finite": 1]])
        // site-b's round-2 update (64 samples) went into no model: round 2 failed.
        #expect(sites.map(\.samplesContributed) == [120, 60, 0])
        #expect(sites.map(\.enrolled) == [true, true, true])
        #expect(sites.map(\.revoked) == [false, false, true])
        let rounds = report.rounds
        #expect(rounds.map(\.round) == [1, 2])
        #expect(rounds.map(\.status) == ["published", "failed"])
        #expect(rounds.map(\.strategy) == ["fedavg", "fedavg"])
        #expect(rounds.map(\.contributors) == [["site-a", "site-b"], ["site-b"]])
        #expect(rounds.map(\.updatesAccepted) == [2, 1])
        #expect(rounds.map(\.updatesRejected) == [1, 0])
        #expect(rounds.map(\.resultDigest) == [try LedgerFixture.digest("global-1").hex, nil])
        #expect(rounds.map(\.failureReason) == [nil, "quorum not reached"])
    }

    /// The HTML is one file: a chart in inline SVG, no script and no external resource.
    @Test func writesSelfContainedHTML() throws {
        let (report, fixture) = try Self.report()
        defer { fixture.remove() }
        let html = report.html(title: "ledger <copy>")
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<title>ledger &lt;copy&gt;</title>"))
        #expect(html.contains("<svg"))
        #expect(html.contains("<title>round 1: 2 accepted</title>"))
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("src=") && !html.contains("href=") && !html.contains("url("))
    }

    /// A prepended mark joins "<" into one character; the escaping works on scalars, so no tag survives.
    @Test func escapesMarkupBehindPrependedMarks() throws {
        let (report, fixture) = try Self.report()
        defer { fixture.remove() }
        let html = report.html(title: "\u{600}<img src=x onerror=alert(1) \u{600}>")
        #expect(!html.contains("<img"))
        #expect(html.contains("\u{600}&lt;img src=x onerror=alert(1) \u{600}&gt;"))
    }

    /// CSV: a site table, an empty line, a round table; lists joined by ';'.
    @Test func writesCSV() throws {
        let (report, fixture) = try Self.report()
        defer { fixture.remove() }
        let lines = report.csv().components(separatedBy: "\r\n")
        #expect(lines[0] == "site,enrolled,revoked,rounds_joined,updates_accepted,updates_rejected,rejection_reasons,samples_contributed")
        #expect(lines[2] == "site-b,true,false,1;2,2,0,,60")
        #expect(lines[3] == "site-c,true,true,,0,1,non-finite: 1,0")
        #expect(lines[4] == "")
        #expect(lines[7] == "2,failed,fedavg,site-b,1,0,,quorum not reached")
    }
}
