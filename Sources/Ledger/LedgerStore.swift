import Foundation
import GRDB
import Protocols
import Security

/// The participation ledger in SQLite: appends signed, hash-chained entries and serves them.
///
/// The database runs in WAL mode with `synchronous=FULL` (set by the initialiser on the writer
/// connection), so an append is on disk when its transaction commits. Appends are serialised by SQLite's single writer: each reads the head and
/// inserts the next entry inside one write transaction, also across processes (the aggregator and
/// its `sites` commands), and the `sequence` primary key refuses a second entry at one place.
///
/// ```swift
/// let store = try LedgerStore.open(at: url, key: ledgerKey, certificate: ledgerCertificate)
/// let entry = try store.append(.updateAccepted(round: 3, site: "site-a", digest: digest, samples: 120, stepNorm: nil))
/// let receipt = try store.receipt(for: entry)
/// // or, in the same transaction as a state change:
/// try store.database.write { db in
///     try update.save(db)
///     _ = try store.append(.updateAccepted(…), in: db)
/// }
/// ```
///
/// ## Topics
/// - ``open(at:key:certificate:clock:)``, ``init(database:key:certificate:clock:)``
/// - ``append(_:)``, ``append(_:in:)``
/// - ``entries(after:limit:)``, ``page(after:limit:)``, ``entry(sequence:)``, ``head()``
/// - ``receipt(for:)``
public final class LedgerStore: Sendable {
    /// The database holding `ledger_entry`; share it to append in the same transaction as a change.
    public let database: any DatabaseWriter
    /// The ledger key's certificate, embedded in the first entry.
    public let certificate: X509Certificate
    private let key: Ed25519Key
    private let clock: @Sendable () -> Date

    /// GRDB settings for a ledger database: a 10 s busy timeout, so a second process (the
    /// `sites` commands beside the server) waits for the writer instead of failing. Open it as a
    /// `DatabasePool` (WAL); the store sets `synchronous=FULL` on the writer itself.
    public static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return configuration
    }

    /// Opens (creating if needed) the ledger file at `url` as a WAL database pool.
    /// - Parameters:
    ///   - key: the ledger key, whose public half `certificate` certifies.
    ///   - certificate: from `tessera ca issue-ledger-key`; a new ledger embeds it in entry 1.
    ///   - clock: the time source for entries (tests fix it).
    /// - Throws: the errors of ``init(database:key:certificate:clock:)`` and GRDB's `DatabaseError`.
    public static func open(at url: URL, key: Ed25519Key, certificate: X509Certificate,
                            clock: @escaping @Sendable () -> Date = { Date() }) throws -> LedgerStore {
        let pool = try DatabasePool(path: url.path, configuration: configuration())
        return try LedgerStore(database: pool, key: key, certificate: certificate, clock: clock)
    }

    /// A store over an existing database (the aggregator's, opened with ``configuration()``):
    /// runs the ledger's migrations and, for a new ledger, appends the `ledger-created` entry.
    /// - Throws: `LedgerError.keyDoesNotMatchCertificate`, `LedgerError.certificateDiffersFromGenesis`
    ///   when the database holds a ledger started with another certificate, GRDB's `DatabaseError`.
    public init(database: any DatabaseWriter, key: Ed25519Key, certificate: X509Certificate,
                clock: @escaping @Sendable () -> Date = { Date() }) throws {
        guard try key.publicKey() == Ed25519PublicKey(certificate: certificate) else {
            throw LedgerError.keyDoesNotMatchCertificate(certificateFingerprint: certificate.fingerprint.hex)
        }
        self.database = database
        self.certificate = certificate
        self.key = key
        self.clock = clock
        // After GRDB's own set-up, which leaves a pool's writer at synchronous=NORMAL: an entry
        // must survive power loss once its transaction commits.
        try database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try LedgerMigrations.migrator().migrate(database)
        try database.write { db in
            guard let first = try LedgerEntry.fetchOne(db, key: 1) else {
                _ = try self.append(.ledgerCreated(certificate: certificate), in: db)
                return
            }
            let found = try Self.certificate(inGenesis: first)
            guard found.derRepresentation == certificate.derRepresentation else {
                throw LedgerError.certificateDiffersFromGenesis(found: found.fingerprint.hex, expected: certificate.fingerprint.hex)
            }
        }
    }

    /// Appends `event` in a transaction of its own; returns the entry once committed (durable).
    /// - Throws: `LedgerError.nonFiniteNumber`, `SecurityError` if signing fails, `DatabaseError`.
    public func append(_ event: LedgerEvent) throws -> LedgerEntry {
        try database.write { db in try append(event, in: db) }
    }

    /// Appends `event` inside the caller's write transaction (`database.write { db in … }`): the
    /// entry commits or rolls back with the caller's other changes.
    /// - Precondition: `db` is a connection of ``database`` inside a write transaction.
    /// - Throws: `LedgerError.nonFiniteNumber`, `SecurityError` if signing fails, `DatabaseError`.
    public func append(_ event: LedgerEvent, in db: Database) throws -> LedgerEntry {
        let last = try LedgerEntry.order(LedgerEntry.Columns.sequence.desc).fetchOne(db)
        let sequence = (last?.sequence ?? 0) + 1
        let previousHash = try last?.hash ?? HashChain.genesisPreviousHash()
        let time = LedgerTime.truncated(clock())
        let canonical = try LedgerEntry.canonicalBytes(
            sequence: sequence, time: time, kind: event.kind, round: event.round, site: event.site, payload: event.payload)
        let hash = try HashChain.hash(previous: previousHash, canonical: canonical)
        let entry = LedgerEntry(
            sequence: sequence, time: time, kind: event.kind, round: event.round, site: event.site,
            payload: event.payload, previousHash: previousHash, hash: hash, canonical: canonical,
            signature: try key.signature(for: hash.bytes))
        try entry.insert(db)
        return entry
    }

    /// Up to `limit` entries with sequence greater than `after`, oldest first.
    /// - Throws: `LedgerError.malformedColumn` for a row the ledger did not write, `DatabaseError`.
    public func entries(after: Int, limit: Int) throws -> [LedgerEntry] {
        try database.read { db in
            try LedgerEntry.filter(LedgerEntry.Columns.sequence > after)
                .order(LedgerEntry.Columns.sequence).limit(limit).fetchAll(db)
        }
    }

    /// `GET /v1/ledger?after=N`: a page of at most `limit` entries and the `after` of the next page.
    /// - Throws: the errors of ``entries(after:limit:)``.
    public func page(after: Int, limit: Int) throws -> LedgerPage {
        let entries = try entries(after: after, limit: limit + 1)
        let shown = Array(entries.prefix(limit))
        return LedgerPage(entries: shown.map(\.message), nextAfter: entries.count > limit ? shown.last?.sequence : nil)
    }

    /// The entry at `sequence`.
    /// - Throws: `LedgerError.noSuchEntry`, `LedgerError.malformedColumn`, `DatabaseError`.
    public func entry(sequence: Int) throws -> LedgerEntry {
        try database.read { db in
            guard let entry = try LedgerEntry.fetchOne(db, key: sequence) else {
                let head = try Int.fetchOne(db, sql: "SELECT MAX(sequence) FROM ledger_entry") ?? 0
                throw LedgerError.noSuchEntry(sequence: sequence, head: head)
            }
            return entry
        }
    }

    /// `GET /v1/ledger/head`: the last entry's sequence, hash, time and signature.
    /// - Throws: `LedgerError.malformedColumn`, `DatabaseError`.
    public func head() throws -> LedgerHead {
        let last = try database.read { db in
            try LedgerEntry.order(LedgerEntry.Columns.sequence.desc).fetchOne(db)
        }
        // The initialiser appended entry 1, and entries are never deleted by the ledger.
        guard let last else { throw LedgerError.noSuchEntry(sequence: 1, head: 0) }
        return LedgerHead(sequence: last.sequence, hash: last.hash, time: last.time,
                          ledgerKeyFingerprint: certificate.fingerprint, signature: Data(last.signature))
    }

    /// The signed receipt for an `update-accepted` entry: its round, site and update digest, its
    /// sequence and hash, the ledger certificate's fingerprint and the entry's signature.
    /// - Throws: `LedgerError.unexpectedKind` for another kind, `LedgerError.missingPayloadField`.
    public func receipt(for entry: LedgerEntry) throws -> Receipt {
        guard entry.kind == .updateAccepted else {
            throw LedgerError.unexpectedKind(sequence: entry.sequence, found: entry.kind, expected: .updateAccepted)
        }
        func missing(_ field: String, _ expected: String) -> LedgerError {
            .missingPayloadField(sequence: entry.sequence, kind: entry.kind, field: field, expected: expected)
        }
        guard let round = entry.round else { throw missing("round", "an integer") }
        guard let site = entry.site else { throw missing("site", "a string") }
        guard let digestText = entry.payload["digest"]?.stringValue, let digest = try? SHA256.Digest(hex: digestText) else {
            // `try?`: any unreadable digest is the same finding, a missing field.
            throw missing("digest", "64 hexadecimal digits")
        }
        return Receipt(round: round, site: site, digest: digest, sequence: entry.sequence, entryHash: entry.hash,
                       previousHash: entry.previousHash, entry: String(decoding: entry.canonical, as: UTF8.self),
                       ledgerKeyFingerprint: certificate.fingerprint, signature: Data(entry.signature))
    }

    /// The ledger certificate embedded in a `ledger-created` entry.
    /// - Throws: `LedgerError.unexpectedKind`, `LedgerError.missingPayloadField`, `SecurityError.invalidDER`.
    public static func certificate(inGenesis entry: LedgerEntry) throws -> X509Certificate {
        guard entry.kind == .ledgerCreated else {
            throw LedgerError.unexpectedKind(sequence: entry.sequence, found: entry.kind, expected: .ledgerCreated)
        }
        guard let text = entry.payload["certificate"]?.stringValue, let der = Data(base64Encoded: text) else {
            throw LedgerError.missingPayloadField(sequence: entry.sequence, kind: entry.kind, field: "certificate",
                                                  expected: "base64 DER")
        }
        return try X509Certificate(der: Array(der), source: "ledger entry \(entry.sequence) certificate")
    }
}
