import Foundation
import Ledger
import Protocols
import Security
import Testing

/// Tampering with a copy of a ledger through the real `sqlite3` command line, each caught with
/// its exact reason. The append-only triggers are dropped first, as an attacker would.
struct AuditVerifierTests {
    static let dropTriggers = """
        DROP TRIGGER ledger_entry_append_only_update;
        DROP TRIGGER ledger_entry_append_only_delete;

        """

    /// An untouched ledger and its receipts verify, one of them kept from before receipts carried
    /// their entry (checked against the ledger alone).
    @Test func acceptsAnUntamperedLedgerWithReceipts() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        var issued = try fixture.appendCampaign()
        (issued[0].entry, issued[0].previousHash) = (nil, nil)
        let receipts = try fixture.writeReceipts(issued, to: "receipts")
        let summary = try fixture.verifier.verify(ledgerAt: try fixture.copyOfLedger("copy.sqlite"), receiptsIn: receipts)
        #expect(summary.entryCount == 17)
        #expect(summary.receiptCount == 3)
        #expect(summary.headHash == (try fixture.store.head().hash))
        #expect(summary.certificate == fixture.certificate)
    }

    /// Changing the payload column alone disagrees with the signed canonical bytes.
    @Test func detectsAnEditedPayloadColumn() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        try fixture.appendCampaign()
        let copy = try fixture.copyOfLedger("copy.sqlite")
        try CommandLineTool.sqlite3(Self.dropTriggers + """
            UPDATE ledger_entry SET payload = replace(payload, '"samples":120', '"samples":121') WHERE sequence = 8;
            """, on: copy)
        let digest = try LedgerFixture.digest("site-a-1").hex
        #expect(throws: AuditFailure.fieldMismatch(
            sequence: 8, field: "payload", column: #"{"digest":"\#(digest)","samples":121,"step_norm":0.25}"#,
            signed: #"{"digest":"\#(digest)","samples":120,"step_norm":0.25}"#)) {
            try fixture.verifier.verify(ledgerAt: copy)
        }
    }

    /// Changing a payload byte in both the column and the canonical bytes breaks the hash.
    @Test func detectsAnEditedPayloadByte() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        try fixture.appendCampaign()
        let copy = try fixture.copyOfLedger("copy.sqlite")
        try CommandLineTool.sqlite3(Self.dropTriggers + """
            UPDATE ledger_entry SET payload = replace(payload, '"samples":120', '"samples":121'),
                canonical = CAST(replace(CAST(canonical AS TEXT), '"samples":120', '"samples":121') AS BLOB)
                WHERE sequence = 8;
            """, on: copy)
        let original = try fixture.store.entry(sequence: 8)
        let edited = Array(String(decoding: original.canonical, as: UTF8.self)
            .replacingOccurrences(of: "\"samples\":120", with: "\"samples\":121").utf8)
        let computed = try HashChain.hash(previous: original.previousHash, canonical: edited)
        #expect(throws: AuditFailure.hashMismatch(sequence: 8, stored: original.hash.hex, computed: computed.hex)) {
            try fixture.verifier.verify(ledgerAt: copy)
        }
    }

    /// Editing the site column is caught although the canonical bytes are untouched.
    @Test func detectsAnEditedSiteColumn() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        try fixture.appendCampaign()
        let copy = try fixture.copyOfLedger("copy.sqlite")
        try CommandLineTool.sqlite3(Self.dropTriggers + "UPDATE ledger_entry SET site = 'site-b' WHERE sequence = 11;", on: copy)
        #expect(throws: AuditFailure.fieldMismatch(sequence: 11, field: "site", column: #""site-b""#, signed: #""site-c""#)) {
            try fixture.verifier.verify(ledgerAt: copy)
        }
    }

    /// A deleted entry leaves a gap in the sequence.
    @Test func detectsADeletedEntry() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        try fixture.appendCampaign()
        let copy = try fixture.copyOfLedger("copy.sqlite")
        try CommandLineTool.sqlite3(Self.dropTriggers + "DELETE FROM ledger_entry WHERE sequence = 11;", on: copy)
        #expect(throws: AuditFailure.missingEntries(expected: 11, found: 12)) {
            try fixture.verifier.verify(ledgerAt: copy)
        }
    }

    /// Swapping two entries' sequence numbers is caught by the signed sequence.
    @Test func detectsReorderedEntries() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        try fixture.appendCampaign()
        let copy = try fixture.copyOfLedger("copy.sqlite")
        try CommandLineTool.sqlite3(Self.dropTriggers + """
            UPDATE ledger_entry SET sequence = 1000 WHERE sequence = 9;
            UPDATE ledger_entry SET sequence = 9 WHERE sequence = 8;
            UPDATE ledger_entry SET sequence = 8 WHERE sequence = 1000;
            """, on: copy)
        #expect(throws: AuditFailure.reordered(sequence: 8, signedSequence: 9)) {
            try fixture.verifier.verify(ledgerAt: copy)
        }
    }

    /// A truncated tail is a valid shorter chain, caught only by a receipt for a lost entry.
    @Test func detectsATruncatedTailFromReceipts() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        let appended = try fixture.appendCampaign()
        let receipts = try fixture.writeReceipts(appended, to: "receipts")
        let copy = try fixture.copyOfLedger("copy.sqlite")
        try CommandLineTool.sqlite3(Self.dropTriggers + "DELETE FROM ledger_entry WHERE sequence >= 15;", on: copy)
        #expect(try fixture.verifier.verify(ledgerAt: copy).entryCount == 14)
        let lost = try #require(appended.first { $0.sequence == 15 })
        let file = receipts.appendingPathComponent("\(lost.site)/receipt-15.json").path
        #expect(throws: AuditFailure.receiptedEntryMissing(file: file, sequence: 15, head: 14)) {
            try fixture.verifier.verify(ledgerAt: copy, receiptsIn: receipts)
        }
    }

    /// A signed head kept from `GET /v1/ledger/head` catches a tail cut off later, where no receipt
    /// reaches (the last entries here are a revocation and a failed round); a head with another
    /// signature is refused.
    @Test func detectsATruncatedTailFromASignedHead() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        try fixture.appendCampaign()
        let head = try fixture.store.head()
        let headFile = fixture.file("head.json")
        try WireJSON.encode(head).write(to: headFile)
        #expect(try fixture.verifier.verify(ledgerAt: try fixture.copyOfLedger("whole.sqlite"), heads: [headFile]).headCount == 1)

        let copy = try fixture.copyOfLedger("copy.sqlite")
        try CommandLineTool.sqlite3(Self.dropTriggers + "DELETE FROM ledger_entry WHERE sequence >= 16;", on: copy)
        #expect(try fixture.verifier.verify(ledgerAt: copy).entryCount == 15)
        #expect(throws: AuditFailure.headNotInLedger(file: headFile.path, sequence: 17, hash: head.hash.hex, found: "ends at 15")) {
            try fixture.verifier.verify(ledgerAt: copy, heads: [headFile])
        }

        var forged = head
        forged.signature = Data(try Ed25519Key.generate().signature(for: head.hash.bytes))
        try WireJSON.encode(forged).write(to: headFile)
        #expect(throws: AuditFailure.untrustedHead(file: headFile.path, reason: "its signature does not verify with the ledger key")) {
            try fixture.verifier.verify(ledgerAt: try fixture.copyOfLedger("again.sqlite"), heads: [headFile])
        }
    }

    /// Every signature replaced by one from a key the CA did not certify: entry 1 fails.
    @Test func detectsEntriesResignedWithAnUncertifiedKey() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        try fixture.appendCampaign()
        let copy = try fixture.copyOfLedger("copy.sqlite")
        let rogue = try Ed25519Key.generate()
        let updates = try fixture.store.entries(after: 0, limit: 100).map { entry in
            "UPDATE ledger_entry SET signature = \(try rogue.signature(for: entry.hash.bytes).sqlBlob) WHERE sequence = \(entry.sequence);"
        }
        try CommandLineTool.sqlite3(Self.dropTriggers + updates.joined(separator: "\n"), on: copy)
        #expect(throws: AuditFailure.invalidSignature(sequence: 1)) {
            try fixture.verifier.verify(ledgerAt: copy)
        }
    }

    /// The whole ledger rebuilt and re-signed under a key certified by another CA: the certificate fails.
    @Test func detectsALedgerRebuiltUnderAnotherAuthority() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        try fixture.appendCampaign()
        let rogueAuthority = try CertificateAuthority.initialise(directory: fixture.file("rogue-ca"), commonName: "Rogue CA")
        let rogueKey = try Ed25519Key.generate()
        let rogueCertificate = try rogueAuthority.issueLedgerCertificate(for: try rogueKey.publicKey())
        let rogueURL = fixture.file("rogue.sqlite")
        do {
            let rogue = try LedgerStore.open(at: rogueURL, key: rogueKey, certificate: rogueCertificate)
            for entry in try fixture.store.entries(after: 1, limit: 100) {
                _ = try rogue.append(LedgerEvent(kind: entry.kind, round: entry.round, site: entry.site, payload: entry.payload))
            }
        }
        let copy = try fixture.copyOfLedger("copy.sqlite")
        try CommandLineTool.sqlite3(Self.dropTriggers + """
            ATTACH '\(rogueURL.path)' AS rogue;
            DELETE FROM ledger_entry;
            INSERT INTO ledger_entry SELECT * FROM rogue.ledger_entry;
            """, on: copy)
        #expect(throws: AuditFailure.untrustedLedgerCertificate(
            fingerprint: rogueCertificate.fingerprint.hex,
            reason: .untrustedCertificate(subject: "CN=tessera-ledger", issuer: "CN=Rogue CA",
                                          reason: "unable to get local issuer certificate"))) {
            try fixture.verifier.verify(ledgerAt: copy)
        }
    }

    /// A receipt whose digest is not the one its signed entry holds is named with the field (it
    /// proves nothing); a ledger rewritten and re-signed since the receipt was issued holds
    /// another entry at the receipted sequence.
    @Test func detectsAReceiptThatDisagreesWithTheLedger() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        let issued = try fixture.appendCampaign()
        var receipts = issued
        let other = try LedgerFixture.digest("other update")
        receipts[0].digest = other
        let directory = try fixture.writeReceipts(receipts, to: "receipts")
        let file = directory.appendingPathComponent("\(receipts[0].site)/receipt-08.json").path
        #expect(throws: AuditFailure.unsignedReceiptField(file: file, field: "digest", receipt: other.hex,
                                                          signed: try LedgerFixture.digest("site-a-1").hex)) {
            try fixture.verifier.verify(ledgerAt: try fixture.copyOfLedger("copy.sqlite"), receiptsIn: directory)
        }

        let rewritten = try LedgerStore.open(at: fixture.file("rewritten.sqlite"), key: fixture.key, certificate: fixture.certificate)
        try fixture.appendCampaign(to: rewritten)
        let genuine = try fixture.writeReceipts(issued, to: "genuine")
        let receipt = try #require(try AuditVerifier.readReceipts(in: genuine).first)
        let entry = try rewritten.entry(sequence: receipt.receipt.sequence)
        #expect(throws: AuditFailure.receiptMismatch(file: receipt.file, sequence: receipt.receipt.sequence, field: "entry_hash",
                                                     receipt: receipt.receipt.entryHash.hex, ledger: entry.hash.hex)) {
            try fixture.verifier.verify(ledgerAt: fixture.file("rewritten.sqlite"), receiptsIn: genuine)
        }
    }

    /// A correctly signed ledger whose aggregations leave out an accepted update, count one never
    /// accepted, or accept one after the round closed: the audit names the entry. A site's
    /// replacement of its own update is not a drop.
    @Test func detectsDroppedAndInventedContributions() throws {
        func verify(_ events: (LedgerFixture) throws -> Void) throws -> AuditFailure? {
            let fixture = try LedgerFixture()
            defer { fixture.remove() }
            try events(fixture)
            do {
                _ = try fixture.verifier.verify(ledgerAt: fixture.ledgerURL)
                return nil
            } catch let failure as AuditFailure {
                return failure
            }
        }
        let a1 = try LedgerFixture.digest("a-1"), a2 = try LedgerFixture.digest("a-2"), b1 = try LedgerFixture.digest("b-1")
        func accept(_ fixture: LedgerFixture, _ site: String, _ digest: SHA256.Digest, round: Int = 1) throws -> Int {
            try fixture.store.append(.updateAccepted(round: round, site: site, digest: digest, samples: 10, stepNorm: nil)).sequence
        }
        func aggregate(_ fixture: LedgerFixture, _ contributors: [(String, SHA256.Digest)]) throws -> Int {
            try fixture.store.append(.roundAggregated(round: 1, strategy: "fedavg",
                                                      contributors: contributors.map { .init(site: $0.0, digest: $0.1, samples: 10, weight: 0.5) },
                                                      resultDigest: try LedgerFixture.digest("global-1"), metrics: [:])).sequence
        }

        #expect(try verify { fixture in
            _ = try accept(fixture, "site-a", a1)
            _ = try accept(fixture, "site-b", b1)
            _ = try accept(fixture, "site-a", a2)  // replaces a-1
            _ = try aggregate(fixture, [("site-a", a2), ("site-b", b1)])
        } == nil)

        var accepted = 0, aggregated = 0
        let dropped = try verify { fixture in
            _ = try accept(fixture, "site-a", a1)
            accepted = try accept(fixture, "site-b", b1)
            aggregated = try aggregate(fixture, [("site-a", a1)])
        }
        #expect(dropped == .droppedUpdate(sequence: aggregated, round: 1, site: "site-b", digest: b1.hex, accepted: accepted))

        let replacedCounted = try verify { fixture in
            _ = try accept(fixture, "site-a", a1)
            _ = try accept(fixture, "site-a", a2)
            aggregated = try aggregate(fixture, [("site-a", a1)])
        }
        #expect(replacedCounted == .unacceptedContribution(sequence: aggregated, round: 1, site: "site-a", digest: a1.hex, samples: 10))

        var failedAt = 0
        let late = try verify { fixture in
            failedAt = try fixture.store.append(.roundFailed(round: 1, reason: "quorum not reached", validUpdates: 0, quorum: 2)).sequence
            accepted = try accept(fixture, "site-a", a1)
        }
        #expect(late == .acceptedAfterClose(sequence: accepted, round: 1, closedAt: failedAt))
    }
}
