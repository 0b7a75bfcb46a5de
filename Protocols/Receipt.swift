import Foundation
import Security

/// What the aggregator answers to an accepted upload (`PUT /v1/rounds/{id}/updates`, 200):
/// proof that the update is on disk and in the ledger at `sequence`. Sites keep their receipts;
/// `tessera audit verify` checks, given them, that no accepted update was dropped or rewritten.
///
/// `signature` is the ledger key's Ed25519 signature over the 32 bytes of `entryHash` (the same
/// signature the ledger stores with the entry), verifiable with the certificate whose SHA-256
/// fingerprint (of its DER bytes) is `ledgerKeyFingerprint` (`GET /v1/ledger/certificate`).
/// `entryHash` is `SHA-256(previousHash ‖ entry)`, and `entry` is the signed entry itself, so
/// round, site, digest and sequence are bound to the signature: ``unsignedField()`` checks that
/// they are the entry's (docs/LEDGER.md §6). Binary fields are lowercase hex (digests) and base64
/// (signature).
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
    /// The hash of the entry before it. Absent only in receipts kept from before it was added.
    public var previousHash: SHA256.Digest?
    /// The entry's canonical bytes (docs/LEDGER.md §3), a JSON text. Absent only in receipts kept
    /// from before it was added; a site refuses a new receipt without it.
    public var entry: String?
    public var ledgerKeyFingerprint: SHA256.Digest
    /// 64 bytes of Ed25519 signature.
    public var signature: Data

    public init(round: Int, site: String, digest: SHA256.Digest, sequence: Int, entryHash: SHA256.Digest,
                previousHash: SHA256.Digest?, entry: String?, ledgerKeyFingerprint: SHA256.Digest, signature: Data) {
        self.round = round
        self.site = site
        self.digest = digest
        self.sequence = sequence
        self.entryHash = entryHash
        self.previousHash = previousHash
        self.entry = entry
        self.ledgerKeyFingerprint = ledgerKeyFingerprint
        self.signature = signature
    }

    enum CodingKeys: String, CodingKey {
        case round, site, digest, sequence, entryHash = "entry_hash", previousHash = "previous_hash", entry
        case ledgerKeyFingerprint = "ledger_key_fingerprint", signature
    }

    /// The first of the receipt's fields that the entry its signature covers does not hold: the
    /// entry must hash with `previousHash` to `entryHash`, be an `update-accepted` entry, and have
    /// the receipt's sequence, round, site and payload digest. Without this, only `entryHash`
    /// would be signed, and a receipt could pair this update's fields with another entry's signature.
    /// Values compare as bytes (Swift's `String ==` would equate canonically equivalent text).
    /// - Returns: the field, the receipt's value and the signed entry's; nil when all agree.
    /// - Throws: `SecurityError` only when OpenSSL cannot hash.
    public func unsignedField() throws -> (field: String, receipt: String, signed: String)? {
        guard let previousHash, let entry else { return ("entry", "absent", "present") }  // callers check presence first
        let hashed = try SHA256.hash(previousHash.bytes + Array(entry.utf8))
        guard hashed == entryHash else { return ("entry_hash", entryHash.hex, "\(hashed.hex) (SHA-256 of previous_hash and entry)") }
        guard case let .object(fields)? = try? WireJSON.decode(JSONValue.self, from: Data(entry.utf8)) else {
            return ("entry", entry, "a JSON object")  // `try?`: any unreadable entry is this one finding
        }
        func text(_ value: JSONValue?) -> String {
            switch value {
            case let .string(text)?: return text
            case let .number(number)? where number == number.rounded() && abs(number) < 1e15: return String(Int(number))
            case let value?: return String(decoding: (try? WireJSON.encode(value)) ?? Data(), as: UTF8.self)
            case nil: return "absent"
            }
        }
        var signedDigest: JSONValue?
        if case let .object(payload)? = fields["payload"] { signedDigest = payload["digest"] }
        let pairs = [("kind", "update-accepted", text(fields["kind"])), ("sequence", "\(sequence)", text(fields["sequence"])),
                     ("round", "\(round)", text(fields["round"])), ("site", site, text(fields["site"])),
                     ("digest", digest.hex, text(signedDigest))]
        return pairs.first { Array($0.1.utf8) != Array($0.2.utf8) }.map { (field: $0.0, receipt: $0.1, signed: $0.2) }
    }
}
