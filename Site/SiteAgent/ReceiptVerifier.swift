import Foundation
import Protocols
import Security

/// Checks a receipt the way `tessera audit verify` will: the ledger key's certificate (from
/// `GET /v1/ledger/certificate`) chains to the consortium CA and carries the ledger-signing
/// usage, its SHA-256 DER fingerprint is the receipt's `ledger_key_fingerprint`, the Ed25519
/// signature over the 32 bytes of `entry_hash` verifies, the signed entry holds the receipt's
/// round, site, digest and sequence (``Receipt/unsignedField()``), and those are this upload's.
public struct ReceiptVerifier: Sendable {
    /// The consortium CA certificate from the site bundle.
    public let authority: X509Certificate

    public init(authority: X509Certificate) {
        self.authority = authority
    }

    /// - Parameters:
    ///   - ledgerCertificate: the ledger key's certificate.
    ///   - date: when the certificate must be valid (now).
    /// - Throws: ``ReceiptVerificationError``; `SecurityError` when OpenSSL cannot read the key.
    public func verify(_ receipt: Receipt, ledgerCertificate: X509Certificate, round: Int, site: String,
                       digest: SHA256.Digest, at date: Date = Date()) throws {
        do {
            try ledgerCertificate.verify(trustAnchor: authority, requiredUsage: .ledgerSigning, at: date)
        } catch let error as SecurityError {
            throw ReceiptVerificationError.untrustedLedgerCertificate(fingerprint: ledgerCertificate.fingerprint.hex, reason: error)
        }
        guard receipt.ledgerKeyFingerprint == ledgerCertificate.fingerprint else {
            throw ReceiptVerificationError.fingerprintMismatch(found: receipt.ledgerKeyFingerprint.hex,
                                                               expected: ledgerCertificate.fingerprint.hex)
        }
        let key = try Ed25519PublicKey(certificate: ledgerCertificate)
        guard key.isValidSignature(Array(receipt.signature), for: receipt.entryHash.bytes) else {
            throw ReceiptVerificationError.invalidSignature(round: receipt.round, sequence: receipt.sequence)
        }
        guard receipt.entry != nil, receipt.previousHash != nil else {
            throw ReceiptVerificationError.mismatch(field: "entry", found: "absent", expected: "the signed ledger entry (is the aggregator older than this site?)")
        }
        if let (field, found, signed) = try receipt.unsignedField() {
            throw ReceiptVerificationError.unsigned(field: field, found: found, signed: signed)
        }
        for (field, found, expected) in [("round", "\(receipt.round)", "\(round)"), ("site", receipt.site, site),
                                         ("digest", receipt.digest.hex, digest.hex)] where found != expected {
            throw ReceiptVerificationError.mismatch(field: field, found: found, expected: expected)
        }
    }
}
