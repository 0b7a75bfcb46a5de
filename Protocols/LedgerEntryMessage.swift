import Foundation
import Security

/// One ledger entry as `GET /v1/ledger?after=N` serves it (the Ledger module owns the table and
/// the canonical encoding; this is its wire form).
///
/// `hash = SHA-256(previousHash ‖ canonical)`, where `canonical` holds the entry's RFC 8785 (JCS)
/// bytes exactly as stored; `signature` is the ledger key's Ed25519 signature over `hash`.
/// Binary fields: digests lowercase hex, `canonical` and `signature` base64.
public struct LedgerEntryMessage: Codable, Equatable, Sendable {
    public var sequence: Int
    public var time: Date
    public var kind: LedgerEntryKind
    public var round: Int?
    public var site: String?
    public var payload: JSONValue
    public var previousHash: SHA256.Digest
    public var hash: SHA256.Digest
    public var canonical: Data
    public var signature: Data

    public init(sequence: Int, time: Date, kind: LedgerEntryKind, round: Int?, site: String?, payload: JSONValue,
                previousHash: SHA256.Digest, hash: SHA256.Digest, canonical: Data, signature: Data) {
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

    enum CodingKeys: String, CodingKey {
        case sequence, time, kind, round, site, payload, previousHash = "previous_hash", hash, canonical, signature
    }
}
