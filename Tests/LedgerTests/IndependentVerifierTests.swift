import Foundation
import Ledger
import Protocols
import Testing

/// verify_ledger.py, written from docs/LEDGER.md with Python's standard library and the openssl
/// command line only, agrees with `AuditVerifier` on good and tampered ledgers.
struct IndependentVerifierTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("verify_ledger.py")

    static func run(_ fixture: LedgerFixture, ledger: URL, receipts: URL? = nil) throws -> CommandLineTool.Output {
        var arguments = [script.path, "--ledger", ledger.path, "--ca", fixture.authorityCertificateURL.path]
        if let receipts { arguments += ["--receipts", receipts.path] }
        return try CommandLineTool.run("python3", arguments)
    }

    /// A good ledger and its receipts pass (one kept from before receipts carried their entry),
    /// with the head hash the store reports.
    @Test func acceptsAGoodLedger() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        var issued = try fixture.appendCampaign()
        (issued[0].entry, issued[0].previousHash) = (nil, nil)
        let receipts = try fixture.writeReceipts(issued, to: "receipts")
        let output = try Self.run(fixture, ledger: try fixture.copyOfLedger("copy.sqlite"), receipts: receipts)
        #expect(output.standardError == "")
        #expect(output.standardOutput == "OK 17 entries, head \(try fixture.store.head().hash.hex)\n")
        #expect(output.status == 0)
    }

    /// An edited payload byte, a swapped pair and a truncated tail are each rejected at the right entry.
    @Test func rejectsTamperedLedgers() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        let receipts = try fixture.writeReceipts(try fixture.appendCampaign(), to: "receipts")
        let tampering = [
            ("UPDATE ledger_entry SET canonical = CAST(replace(CAST(canonical AS TEXT), '\"samples\":120', '\"samples\":121') AS BLOB), "
                + "payload = replace(payload, '\"samples\":120', '\"samples\":121') WHERE sequence = 8;", "FAIL entry 8: stored hash"),
            ("UPDATE ledger_entry SET sequence = 1000 WHERE sequence = 9; UPDATE ledger_entry SET sequence = 9 WHERE sequence = 8; "
                + "UPDATE ledger_entry SET sequence = 8 WHERE sequence = 1000;", "FAIL entry 8: the row holds signed entry 9"),
            ("DELETE FROM ledger_entry WHERE sequence >= 15;", "FAIL entry 15: missing, receipted by"),
        ]
        for (index, (sql, expected)) in tampering.enumerated() {
            let copy = try fixture.copyOfLedger("copy-\(index).sqlite")
            try CommandLineTool.sqlite3(AuditVerifierTests.dropTriggers + sql, on: copy)
            let output = try Self.run(fixture, ledger: copy, receipts: receipts)
            #expect(output.status == 1)
            #expect(output.standardOutput.hasPrefix(expected), "\(output.standardOutput)")
        }
    }

    /// A signed ledger whose aggregation leaves out an accepted update fails at that entry, as in `AuditVerifier`.
    @Test func rejectsADroppedUpdate() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        let digests = try ["a", "b"].map { try LedgerFixture.digest($0) }
        _ = try fixture.store.append(.updateAccepted(round: 1, site: "site-a", digest: digests[0], samples: 10, stepNorm: nil))
        let accepted = try fixture.store.append(.updateAccepted(round: 1, site: "site-b", digest: digests[1], samples: 10, stepNorm: nil))
        let aggregated = try fixture.store.append(.roundAggregated(round: 1, strategy: "fedavg", contributors: [.init(site: "site-a", digest: digests[0], samples: 10, weight: 1)],
                                                                   resultDigest: try LedgerFixture.digest("global-1"), metrics: [:]))
        let output = try Self.run(fixture, ledger: try fixture.copyOfLedger("copy.sqlite"))
        #expect(output.status == 1)
        #expect(output.standardOutput == "FAIL entry \(aggregated.sequence): round 1 aggregated without site-b's update accepted in entry \(accepted.sequence)\n",
                "\(output.standardOutput)")
    }

    /// A signed head kept earlier passes on the whole ledger and fails on one cut back since.
    @Test func checksASignedHead() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        try fixture.appendCampaign()
        let headFile = fixture.file("head.json")
        try WireJSON.encode(try fixture.store.head()).write(to: headFile)
        func run(_ ledger: URL) throws -> CommandLineTool.Output {
            try CommandLineTool.run("python3", [Self.script.path, "--ledger", ledger.path, "--ca", fixture.authorityCertificateURL.path,
                                                "--head", headFile.path])
        }
        #expect(try run(try fixture.copyOfLedger("whole.sqlite")).status == 0)
        let copy = try fixture.copyOfLedger("copy.sqlite")
        try CommandLineTool.sqlite3(AuditVerifierTests.dropTriggers + "DELETE FROM ledger_entry WHERE sequence >= 16;", on: copy)
        let output = try run(copy)
        #expect(output.status == 1)
        #expect(output.standardOutput == "FAIL entry 17: \(headFile.path) is a signed head the ledger no longer holds (it ends at 15)\n",
                "\(output.standardOutput)")
    }
}
