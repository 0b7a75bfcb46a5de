import Security

/// Why a receipt from the aggregator does not prove that this site's update is in the ledger.
public enum ReceiptVerificationError: Error, Equatable, CustomStringConvertible {
    /// The ledger certificate does not chain to the consortium CA with the ledger-signing usage.
    case untrustedLedgerCertificate(fingerprint: String, reason: SecurityError)
    /// The receipt names another ledger key than the certificate the aggregator serves.
    case fingerprintMismatch(found: String, expected: String)
    /// The signature over the entry hash does not verify with the ledger key.
    case invalidSignature(round: Int, sequence: Int)
    /// A field of the receipt is not the signed entry's: the receipt proves nothing of this update.
    case unsigned(field: String, found: String, signed: String)
    /// The receipt is for another round, site or update.
    case mismatch(field: String, found: String, expected: String)

    public var description: String {
        switch self {
        case let .untrustedLedgerCertificate(fingerprint, reason):
            return "receipt: the aggregator's ledger certificate (SHA-256 \(fingerprint)) is not trusted: \(reason)"
        case let .fingerprintMismatch(found, expected):
            return "receipt: signed by ledger key \(found), but the aggregator's ledger certificate is \(expected)"
        case let .invalidSignature(round, sequence):
            return "receipt for round \(round) (ledger entry \(sequence)): the signature does not verify with the ledger key"
        case let .unsigned(field, found, signed):
            return "receipt: its \(field) is \(found), but the ledger entry it is signed for has \(signed); it proves nothing of this update"
        case let .mismatch(field, found, expected):
            return "receipt: \(field) is \(found), expected \(expected)"
        }
    }
}
