import Foundation
import Security

/// What the aggregator answers to an accepted upload (`PUT /v1/rounds/{id}/updates`, 200):
/// proof that the update is on disk and in the ledger at `sequence`. Sites keep their receipts;
/// `tessera audit verify` checks, given them, that no accepted update was dropped or rewritten.
///
/// `signature` is the ledger key's Ed25519 signature over the 32 bytes of `entryHash` (the same
/// signature the ledger stores with the entry), verifiable with the certificate whose SHA-256
/// fingerprint (of its DER bytes) is `ledgerKeyFingerprint` (`GET /v1/ledger/certificate`).
/// Binary fields are lowercase hex (digests) and base64 (signature).
public struct Receipt: Codable, Equatable, Sendable {
    public var round: Int
    /// The site id (the client certificate's subject CN).
    public var site: String
    /// The update's digest: SHA-256 of its canonical safetensors bytes.
    public var digest: SHA256.Digest
    /// The ledger sequence number of the `update-accepted` entry.
    public var sequence: Int
    /// That entry's hash.
    public var entryHash: SHA256.Digest
    public var ledgerKeyFingerprint: SHA256.Digest
    /// 64 bytes of Ed25519 signature.
    public var signature: Data

    public init(round: Int, site: String, digest: SHA256.Digest, sequence: Int, entryHash: SHA256.Digest,
                ledgerKeyFingerprint: SHA256.Digest, signature: Data) {
        self.round = round
        self.site = site
        self.digest = digest
        self.sequence = sequence
        self.entryHash = entryHash
        self.ledgerKeyFingerprint = ledgerKeyFingerprint
        self.signature = signature
    }

    enum CodingKeys: String, CodingKey {
        case round, site, digest, sequence, entryHash = "entry_hash"
        case ledgerKeyFingerprint = "ledger_key_fingerprint", signature
    }
}
