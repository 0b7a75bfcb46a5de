import Foundation
import GRDB
import Protocols
import Security

/// One row of the `ledger_entry` table: an event, its place in the hash chain and its signature.
///
/// The entry's *canonical bytes* are the JCS (RFC 8785) encoding of the object
/// `{"kind", "payload", "round", "sequence", "site", "time"}` (`round` and `site` omitted when
/// absent); `hash = SHA-256(previousHash ‖ canonical)`; `signature` is the ledger key's Ed25519
/// signature over the 32 bytes of `hash`. docs/LEDGER.md fixes this byte for byte.
///
/// The columns repeat the canonical fields so the table can be queried, and the canonical bytes
/// are stored as hashed; ``AuditVerifier`` checks that the two agree. The record reads and writes
/// its columns by hand rather than through `Codable`: the `payload` column must hold exactly the
/// payload's canonical text, which GRDB's JSON encoding (Foundation's) does not promise.
public struct LedgerEntry: Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "ledger_entry"

    /// The position in the chain: 1 for the first entry, then consecutive.
    public var sequence: Int
    /// When the entry was appended, in whole seconds (UTC).
    public var time: Date
    public var kind: LedgerEntryKind
    public var round: Int?
    /// The site id, for entries about one site.
    public var site: String?
    /// The kind's fields (``LedgerEvent`` documents them).
    public var payload: JSONValue
    /// The previous entry's hash; 32 zero bytes for the first entry.
    public var previousHash: SHA256.Digest
    /// SHA-256(previousHash ‖ canonical).
    public var hash: SHA256.Digest
    /// The canonical bytes, exactly as hashed.
    public var canonical: [UInt8]
    /// 64 bytes of Ed25519 signature over `hash`.
    public var signature: [UInt8]

    /// The table's columns.
    public enum Columns {
        public static let sequence = Column("sequence")
        public static let time = Column("time")
        public static let kind = Column("kind")
        public static let round = Column("round")
        public static let site = Column("site")
        public static let payload = Column("payload")
        public static let previousHash = Column("previous_hash")
        public static let hash = Column("hash")
        public static let canonical = Column("canonical")
        public static let signature = Column("signature")
    }

    /// An entry from its fields.
    public init(sequence: Int, time: Date, kind: LedgerEntryKind, round: Int?, site: String?, payload: JSONValue,
                previousHash: SHA256.Digest, hash: SHA256.Digest, canonical: [UInt8], signature: [UInt8]) {
        self.sequence = sequence
        self.time = time
        self.kind = kind
        self.round = round
        self.site = site
        self.payload = payload
        self.previousHash = previousHash
        self.hash = hash
        self.canonical = canonical
        self.signature = signature
    }

    /// The canonical bytes of an entry with these fields (see the type's summary).
    /// - Throws: `LedgerError.nonFiniteNumber` for a NaN or infinite number in `payload`.
    public static func canonicalBytes(sequence: Int, time: Date, kind: LedgerEntryKind, round: Int?, site: String?,
                                      payload: JSONValue) throws -> [UInt8] {
        var object: [String: JSONValue] = [
            "sequence": .number(Double(sequence)),
            "time": .string(LedgerTime.text(time)),
            "kind": .string(kind.rawValue),
            "payload": payload,
        ]
        if let round { object["round"] = .number(Double(round)) }
        if let site { object["site"] = .string(site) }
        return try CanonicalJSON.encoded(.object(object))
    }

    /// The canonical bytes recomputed from this entry's fields (not its stored `canonical`).
    /// - Throws: `LedgerError.nonFiniteNumber`.
    public func canonicalBytesOfFields() throws -> [UInt8] {
        try Self.canonicalBytes(sequence: sequence, time: time, kind: kind, round: round, site: site, payload: payload)
    }

    /// The entry as `GET /v1/ledger` serves it.
    public var message: LedgerEntryMessage {
        LedgerEntryMessage(sequence: sequence, time: time, kind: kind, round: round, site: site, payload: payload,
                           previousHash: previousHash, hash: hash, canonical: Data(canonical), signature: Data(signature))
    }

    // MARK: - Rows

    /// Reads a row, checking each column's storage class.
    /// - Throws: `LedgerError.malformedColumn` naming the row's sequence, the column, what it holds
    ///   and what was expected (a tampered or foreign table).
    public init(row: Row) throws {
        let sequenceValue: DatabaseValue = row[Columns.sequence]
        guard case let .int64(sequence) = sequenceValue.storage else {
            throw LedgerError.malformedColumn(sequence: 0, column: "sequence", found: sequenceValue.description,
                                              expected: "an integer")
        }
        let number = Int(sequence)
        func text(_ column: Column) throws -> String {
            let value: DatabaseValue = row[column]
            guard case let .string(text) = value.storage else {
                throw LedgerError.malformedColumn(sequence: number, column: column.name, found: value.description, expected: "text")
            }
            return text
        }
        func blob(_ column: Column, count: Int?) throws -> [UInt8] {
            let value: DatabaseValue = row[column]
            guard case let .blob(data) = value.storage, count.map({ $0 == data.count }) ?? true else {
                throw LedgerError.malformedColumn(sequence: number, column: column.name, found: value.description,
                                                  expected: count.map { "a blob of \($0) bytes" } ?? "a blob")
            }
            return Array(data)
        }
        let roundValue: DatabaseValue = row[Columns.round]
        switch roundValue.storage {
        case .null: round = nil
        case let .int64(value): round = Int(value)
        default:
            throw LedgerError.malformedColumn(sequence: number, column: "round", found: roundValue.description,
                                              expected: "an integer or NULL")
        }
        let siteValue: DatabaseValue = row[Columns.site]
        switch siteValue.storage {
        case .null: site = nil
        case let .string(value): site = value
        default:
            throw LedgerError.malformedColumn(sequence: number, column: "site", found: siteValue.description,
                                              expected: "text or NULL")
        }
        let timeText = try text(Columns.time)
        do {
            time = try LedgerTime.date(timeText)
        } catch {
            throw LedgerError.malformedColumn(sequence: number, column: "time", found: timeText,
                                              expected: "RFC 3339 UTC time with whole seconds")
        }
        let payloadText = try text(Columns.payload)
        do {
            payload = try CanonicalJSON.parsed(Array(payloadText.utf8))
        } catch {
            throw LedgerError.malformedColumn(sequence: number, column: "payload", found: payloadText,
                                              expected: "JSON text (\(error))")
        }
        self.sequence = number
        kind = LedgerEntryKind(rawValue: try text(Columns.kind))
        previousHash = try SHA256.Digest(bytes: try blob(Columns.previousHash, count: SHA256.Digest.byteCount))
        hash = try SHA256.Digest(bytes: try blob(Columns.hash, count: SHA256.Digest.byteCount))
        canonical = try blob(Columns.canonical, count: nil)
        signature = try blob(Columns.signature, count: Ed25519Key.signatureByteCount)
    }

    /// Writes the columns; `payload` as its canonical JSON text.
    /// - Throws: `LedgerError.nonFiniteNumber` for a NaN or infinite number in `payload`.
    public func encode(to container: inout PersistenceContainer) throws {
        container[Columns.sequence] = sequence
        container[Columns.time] = LedgerTime.text(time)
        container[Columns.kind] = kind.rawValue
        container[Columns.round] = round
        container[Columns.site] = site
        container[Columns.payload] = String(decoding: try CanonicalJSON.encoded(payload), as: UTF8.self)
        container[Columns.previousHash] = Data(previousHash.bytes)
        container[Columns.hash] = Data(hash.bytes)
        container[Columns.canonical] = Data(canonical)
        container[Columns.signature] = Data(signature)
    }
}
