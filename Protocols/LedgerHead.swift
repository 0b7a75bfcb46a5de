import Foundation
import Security

/// `GET /v1/ledger/head`: the latest entry's sequence and hash, signed (Ed25519 over the hash)
/// by the ledger key, so a site can check that the ledger it is shown later extends this one.
public struct LedgerHead: Codable, Equatable, Sendable {
    public var sequence: Int
    public var hash: SHA256.Digest
    public var time: Date
    public var ledgerKeyFingerprint: SHA256.Digest
    public var signature: Data

    public init(sequence: Int, hash: SHA256.Digest, time: Date, ledgerKeyFingerprint: SHA256.Digest, signature: Data) {
        self.sequence = sequence
        self.hash = hash
        self.time = time
        self.ledgerKeyFingerprint = ledgerKeyFingerprint
        self.signature = signature
    }

    enum CodingKeys: String, CodingKey {
        case sequence, hash, time, ledgerKeyFingerprint = "ledger_key_fingerprint", signature
    }
}
