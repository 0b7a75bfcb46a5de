import Foundation
import GRDB
import Ledger
import Protocols
import Security
import Testing

/// Appends, reads, receipts and the database settings of `LedgerStore`.
struct LedgerStoreTests {
    /// A new ledger starts with `ledger-created` embedding the certificate, and each append links to the last.
    @Test func chainsAppendsFromTheGenesisEntry() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        try fixture.appendCampaign()
        let entries = try fixture.store.entries(after: 0, limit: 100)
        #expect(entries.map(\.sequence) == Array(1...17))
        #expect(entries[0].kind == .ledgerCreated)
        #expect(try LedgerStore.certificate(inGenesis: entries[0]) == fixture.certificate)
        #expect(entries[0].previousHash == (try HashChain.genesisPreviousHash()))
        let publicKey = try fixture.key.publicKey()
        for (previous, entry) in zip([nil] + entries.dropLast(), entries) {
            if let previous { #expect(entry.previousHash == previous.hash) }
            #expect(entry.canonical == (try entry.canonicalBytesOfFields()))
            #expect(entry.hash == (try HashChain.hash(previous: entry.previousHash, canonical: entry.canonical)))
            #expect(publicKey.isValidSignature(entry.signature, for: entry.hash.bytes))
        }
    }

    /// The file is in WAL mode with synchronous=FULL (2), so a committed append survives power loss.
    @Test func opensDurably() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        let (journal, synchronous) = try fixture.store.database.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(journal == "wal")
        #expect(synchronous == 2)
    }

    /// An append made in the caller's transaction rolls back with it, leaving no gap.
    @Test func appendsInsideTheCallersTransaction() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try fixture.store.database.write { db in
                try db.execute(sql: "CREATE TABLE site (id TEXT PRIMARY KEY)")
                _ = try fixture.store.append(.siteRevoked(site: "site-a", serial: nil, reason: "test"), in: db)
                throw Abort()
            }
        }
        #expect(try fixture.store.head().sequence == 1)
        let entry = try fixture.store.database.write { db in
            try db.execute(sql: "CREATE TABLE site (id TEXT PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO site VALUES ('site-a')")
            return try fixture.store.append(.siteRevoked(site: "site-a", serial: nil, reason: "test"), in: db)
        }
        #expect(entry.sequence == 2)
    }

    /// Appends from many threads get consecutive sequence numbers and one unbroken chain.
    @Test func serialisesConcurrentAppends() async throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        let store = fixture.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<10 {
                        _ = try store.append(.updateReceived(round: 1, site: "site-\(task)", digest: try LedgerFixture.digest("\(task)-\(index)"), bytes: index))
                    }
                }
            }
            try await group.waitForAll()
        }
        let entries = try store.entries(after: 0, limit: 1000)
        #expect(entries.map(\.sequence) == Array(1...81))
        #expect(zip(entries.dropFirst(), entries).allSatisfy { $0.previousHash == $1.hash })
    }

    /// Reopening keeps the ledger; another certificate, or a key the certificate does not certify, is refused.
    @Test func refusesAnotherCertificateOrKey() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        try fixture.appendCampaign()
        let reopened = try LedgerStore.open(at: fixture.ledgerURL, key: fixture.key, certificate: fixture.certificate)
        #expect(try reopened.head().sequence == 17)

        let otherKey = try Ed25519Key.generate()
        let otherCertificate = try fixture.authority.issueLedgerCertificate(for: try otherKey.publicKey())
        #expect(throws: LedgerError.certificateDiffersFromGenesis(found: fixture.certificate.fingerprint.hex,
                                                                  expected: otherCertificate.fingerprint.hex)) {
            try LedgerStore.open(at: fixture.ledgerURL, key: otherKey, certificate: otherCertificate)
        }
        #expect(throws: LedgerError.keyDoesNotMatchCertificate(certificateFingerprint: fixture.certificate.fingerprint.hex)) {
            try LedgerStore.open(at: fixture.file("other.sqlite"), key: otherKey, certificate: fixture.certificate)
        }
    }

    /// The head, pages and receipts carry the entry's own hash and signature.
    @Test func servesHeadPagesAndReceipts() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        let receipts = try fixture.appendCampaign()
        let head = try fixture.store.head()
        let last = try fixture.store.entry(sequence: 17)
        #expect(head == LedgerHead(sequence: 17, hash: last.hash, time: last.time,
                                   ledgerKeyFingerprint: fixture.certificate.fingerprint, signature: Data(last.signature)))

        let first = try fixture.store.page(after: 0, limit: 10)
        #expect(first.entries.map(\.sequence) == Array(1...10))
        #expect(first.nextAfter == 10)
        let second = try fixture.store.page(after: 10, limit: 10)
        #expect(second.entries.map(\.sequence) == Array(11...17))
        #expect(second.nextAfter == nil)
        let decoded = try WireJSON.decode(LedgerPage.self, from: try WireJSON.encode(second))
        #expect(decoded == second)

        let receipt = receipts[0]
        let entry = try fixture.store.entry(sequence: receipt.sequence)
        #expect(receipt == Receipt(round: 1, site: "site-a", digest: try LedgerFixture.digest("site-a-1"), sequence: 8,
                                   entryHash: entry.hash, previousHash: entry.previousHash, entry: String(decoding: entry.canonical, as: UTF8.self),
                                   ledgerKeyFingerprint: fixture.certificate.fingerprint, signature: Data(entry.signature)))
        #expect(try receipt.unsignedField() == nil)
        #expect(throws: LedgerError.unexpectedKind(sequence: 1, found: .ledgerCreated, expected: .updateAccepted)) {
            try fixture.store.receipt(for: try fixture.store.entry(sequence: 1))
        }
        #expect(throws: LedgerError.noSuchEntry(sequence: 99, head: 17)) { try fixture.store.entry(sequence: 99) }
    }

    /// The table refuses UPDATE and DELETE from the aggregator's own code.
    @Test func refusesUpdatesAndDeletes() throws {
        let fixture = try LedgerFixture()
        defer { fixture.remove() }
        // Refused by the append-only triggers, not by any other failure of the statement.
        for statement in ["DELETE FROM ledger_entry", "UPDATE ledger_entry SET site = 'x'"] {
            #expect { try fixture.store.database.write { db in try db.execute(sql: statement) } } throws: { error in
                (error as? DatabaseError)?.message == "ledger entries are append-only"
            }
        }
    }
}
