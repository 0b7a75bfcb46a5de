import Protocols
import Security

/// What can go wrong while writing or reading the ledger, with the entry, field and value involved.
///
/// Audit findings (a ledger that does not verify) are ``AuditFailure``; these are the errors of
/// using the ledger: bad JSON, a key that is not the certified one, a column that cannot be read.
public enum LedgerError: Error, Equatable, CustomStringConvertible {
    /// JSON text is not valid RFC 8259 / I-JSON (RFC 7493) at byte `offset`.
    case invalidJSON(offset: Int, reason: String)
    /// A number is NaN or infinite; JCS (RFC 8785 §3.2.2.3) cannot encode it.
    case nonFiniteNumber(path: String)
    /// A number's magnitude is 2⁵³ or more where the ledger requires an exact integer.
    case integerOutOfRange(field: String, value: Double)
    /// A time is not RFC 3339 UTC with whole seconds (`2025-03-01T12:00:00Z`).
    case invalidTime(value: String)
    /// The signing key given to the store is not the key its certificate certifies.
    case keyDoesNotMatchCertificate(certificateFingerprint: String)
    /// The ledger in the database was started with another ledger certificate than the one given.
    case certificateDiffersFromGenesis(found: String, expected: String)
    /// A column of the entry at `sequence` holds a value the ledger never writes.
    case malformedColumn(sequence: Int, column: String, found: String, expected: String)
    /// The entry at `sequence` is not of the `expected` kind (a receipt asked for a non-upload entry).
    case unexpectedKind(sequence: Int, found: LedgerEntryKind, expected: LedgerEntryKind)
    /// A payload lacks a field, or the field has another JSON type.
    case missingPayloadField(sequence: Int, kind: LedgerEntryKind, field: String, expected: String)
    /// No entry has that sequence number.
    case noSuchEntry(sequence: Int, head: Int)
    /// A file could not be read or written; `reason` is the system's.
    case fileUnreadable(path: String, reason: String)

    /// A sentence the operator or an auditor can act on.
    public var description: String {
        switch self {
        case let .invalidJSON(offset, reason):
            return "invalid JSON at byte \(offset): \(reason)"
        case let .nonFiniteNumber(path):
            return "the number at \(path) is NaN or infinite, which JSON (RFC 8785) cannot represent"
        case let .integerOutOfRange(field, value):
            return "\(field) is \(value), expected an integer of magnitude below 2^53"
        case let .invalidTime(value):
            return "'\(value)' is not an RFC 3339 UTC time with whole seconds (expected e.g. 2025-03-01T12:00:00Z)"
        case let .keyDoesNotMatchCertificate(fingerprint):
            return "the ledger signing key is not the key certified by ledger certificate \(fingerprint); "
                + "use the key that `tessera ca issue-ledger-key` certified"
        case let .certificateDiffersFromGenesis(found, expected):
            return "the ledger was started with ledger certificate \(found), not \(expected); "
                + "a ledger keeps its certificate for life"
        case let .malformedColumn(sequence, column, found, expected):
            return "entry \(sequence): column \(column) holds \(found), expected \(expected)"
        case let .unexpectedKind(sequence, found, expected):
            return "entry \(sequence) is \(found.rawValue), expected \(expected.rawValue)"
        case let .missingPayloadField(sequence, kind, field, expected):
            return "entry \(sequence) (\(kind.rawValue)): payload field \(field) is missing or not \(expected)"
        case let .noSuchEntry(sequence, head):
            return "no ledger entry \(sequence): the ledger ends at \(head)"
        case let .fileUnreadable(path, reason):
            return "\(path): cannot read (\(reason))"
        }
    }
}
