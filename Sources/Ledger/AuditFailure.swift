import Foundation
import Protocols
import Security

/// Why a ledger does not verify: the first bad entry (or receipt) and what is wrong with it.
/// ``AuditVerifier`` throws the first one it finds, in the order of docs/LEDGER.md §5.
public enum AuditFailure: Error, Equatable, CustomStringConvertible {
    /// The file cannot be opened as an SQLite database with a `ledger_entry` table.
    case unreadableLedger(path: String, reason: String)
    /// The table has no entries.
    case emptyLedger(path: String)
    /// A column holds a value the ledger never writes (wrong type, bad length, unreadable JSON or time).
    case malformedEntry(sequence: Int, column: String, found: String, expected: String)
    /// The entry at `expected` is absent: the next row has sequence `found` (deleted entries).
    case missingEntries(expected: Int, found: Int)
    /// Entry 1 is not `ledger-created`, so the ledger key's certificate is not in the chain.
    case missingGenesis(sequence: Int, kind: LedgerEntryKind)
    /// Entry 1's certificate cannot be read.
    case unreadableCertificate(sequence: Int, reason: String)
    /// The ledger certificate does not verify against the CA or lacks the ledger-signing usage.
    case untrustedLedgerCertificate(fingerprint: String, reason: SecurityError)
    /// An entry was appended outside the ledger certificate's validity.
    case entryOutsideCertificateValidity(sequence: Int, time: Date, notBefore: Date, notAfter: Date)
    /// The stored canonical bytes are not canonical JSON of an entry object.
    case nonCanonicalBytes(sequence: Int, reason: String)
    /// The row at `sequence` holds the signed entry `signedSequence`: entries were reordered or renumbered.
    case reordered(sequence: Int, signedSequence: Int)
    /// A column differs from the signed canonical bytes (`field` is the canonical member).
    case fieldMismatch(sequence: Int, field: String, column: String, signed: String)
    /// `previous_hash` is not the previous entry's hash.
    case brokenLink(sequence: Int, previousHash: String, expected: String)
    /// `hash` is not SHA-256(previous_hash ‖ canonical).
    case hashMismatch(sequence: Int, stored: String, computed: String)
    /// The signature does not verify with the certified ledger key.
    case invalidSignature(sequence: Int)
    /// A round was aggregated without the last update accepted from `site` in entry `accepted`.
    case droppedUpdate(sequence: Int, round: Int, site: String, digest: String, accepted: Int)
    /// A round's aggregation counts an update (with these samples) the ledger did not accept from
    /// that site in that round, or one a later acceptance replaced.
    case unacceptedContribution(sequence: Int, round: Int, site: String, digest: String, samples: Int)
    /// An update was accepted into a round that entry `closedAt` had already aggregated or failed.
    case acceptedAfterClose(sequence: Int, round: Int, closedAt: Int)
    /// A signed head file cannot be read, names another ledger key, or is not signed by the ledger key.
    case untrustedHead(file: String, reason: String)
    /// A signed head's entry is not in the ledger as signed: the ledger was cut back or rewritten.
    case headNotInLedger(file: String, sequence: Int, hash: String, found: String)
    /// A receipt file cannot be read or decoded.
    case unreadableReceipt(file: String, reason: String)
    /// A receipt names a ledger key other than this ledger's certificate.
    case receiptFromAnotherLedgerKey(file: String, found: String, expected: String)
    /// A receipt's signature does not verify with the ledger key: it is not the aggregator's.
    case invalidReceiptSignature(file: String, sequence: Int)
    /// A receipted entry is not in the ledger (truncated tail or deleted entry).
    case receiptedEntryMissing(file: String, sequence: Int, head: Int)
    /// A receipt's field is not in the entry its signature covers (``Receipt/unsignedField()``): the
    /// receipt was not made by the aggregator's ledger for this update.
    case unsignedReceiptField(file: String, field: String, receipt: String, signed: String)
    /// The receipted entry differs from the receipt (`field`: entry_hash, kind, round, site, digest).
    case receiptMismatch(file: String, sequence: Int, field: String, receipt: String, ledger: String)

    /// The sequence number of the first bad entry, when the failure concerns one.
    public var sequence: Int? {
        switch self {
        case .unreadableLedger, .emptyLedger, .untrustedLedgerCertificate, .unreadableReceipt,
             .receiptFromAnotherLedgerKey, .untrustedHead, .unsignedReceiptField:
            return nil
        case let .malformedEntry(sequence, _, _, _), let .missingGenesis(sequence, _),
             let .unreadableCertificate(sequence, _), let .entryOutsideCertificateValidity(sequence, _, _, _),
             let .nonCanonicalBytes(sequence, _), let .reordered(sequence, _), let .fieldMismatch(sequence, _, _, _),
             let .brokenLink(sequence, _, _), let .hashMismatch(sequence, _, _), let .invalidSignature(sequence),
             let .invalidReceiptSignature(_, sequence), let .receiptedEntryMissing(_, sequence, _),
             let .receiptMismatch(_, sequence, _, _, _), let .droppedUpdate(sequence, _, _, _, _),
             let .unacceptedContribution(sequence, _, _, _, _), let .acceptedAfterClose(sequence, _, _),
             let .headNotInLedger(_, sequence, _, _):
            return sequence
        case let .missingEntries(expected, _):
            return expected
        }
    }

    /// A sentence naming the entry, for the auditor.
    public var description: String {
        switch self {
        case let .unreadableLedger(path, reason):
            return "\(path): not a readable ledger (\(reason))"
        case let .emptyLedger(path):
            return "\(path): the ledger has no entries"
        case let .malformedEntry(sequence, column, found, expected):
            return "entry \(sequence): column \(column) holds \(found), expected \(expected)"
        case let .missingEntries(expected, found):
            let deleted = found == expected + 1 ? "it was deleted" : "entries \(expected)–\(found - 1) were deleted"
            return "entry \(expected) is missing: the next entry is \(found) (\(deleted))"
        case let .missingGenesis(sequence, kind):
            return "entry \(sequence) is \(kind.rawValue), expected ledger-created with the ledger certificate"
        case let .unreadableCertificate(sequence, reason):
            return "entry \(sequence): the ledger certificate cannot be read (\(reason))"
        case let .untrustedLedgerCertificate(fingerprint, reason):
            return "entry 1: ledger certificate \(fingerprint) is not a ledger certificate of this CA: \(reason)"
        case let .entryOutsideCertificateValidity(sequence, time, notBefore, notAfter):
            return "entry \(sequence): appended at \(LedgerTime.text(time)), outside the ledger certificate's validity "
                + "\(LedgerTime.text(notBefore)) – \(LedgerTime.text(notAfter))"
        case let .nonCanonicalBytes(sequence, reason):
            return "entry \(sequence): the stored canonical bytes are not a canonical entry (\(reason))"
        case let .reordered(sequence, signedSequence):
            return "entry \(sequence): the row holds signed entry \(signedSequence); entries were reordered or renumbered"
        case let .fieldMismatch(sequence, field, column, signed):
            return "entry \(sequence): column \(field) is \(column) but the signed entry says \(signed)"
        case let .brokenLink(sequence, previousHash, expected):
            return "entry \(sequence): previous_hash \(previousHash) is not the previous entry's hash \(expected)"
        case let .hashMismatch(sequence, stored, computed):
            return "entry \(sequence): stored hash \(stored) differs from SHA-256(previous_hash ‖ canonical) = \(computed); the entry was altered"
        case let .invalidSignature(sequence):
            return "entry \(sequence): the signature does not verify with the certified ledger key"
        case let .droppedUpdate(sequence, round, site, digest, accepted):
            return "entry \(sequence): round \(round) was aggregated without \(site)'s update \(digest), accepted in entry \(accepted); the update was dropped"
        case let .unacceptedContribution(sequence, round, site, digest, samples):
            return "entry \(sequence): round \(round)'s aggregation counts \(site)'s update \(digest) with \(samples) samples, "
                + "which is not the update the ledger last accepted from \(site) in round \(round)"
        case let .acceptedAfterClose(sequence, round, closedAt):
            return "entry \(sequence): an update is accepted into round \(round), which entry \(closedAt) had already closed; it was never aggregated"
        case let .untrustedHead(file, reason):
            return "\(file): not a signed head of this ledger: \(reason)"
        case let .headNotInLedger(file, sequence, hash, found):
            return "entry \(sequence): \(file) is the signed head with hash \(hash), but the ledger \(found); entries were cut off or rewritten since"
        case let .unreadableReceipt(file, reason):
            return "\(file): not a readable receipt (\(reason))"
        case let .receiptFromAnotherLedgerKey(file, found, expected):
            return "\(file): the receipt names ledger key \(found), but this ledger's certificate is \(expected)"
        case let .invalidReceiptSignature(file, sequence):
            return "\(file): the receipt for entry \(sequence) is not signed by the ledger key"
        case let .receiptedEntryMissing(file, sequence, head):
            return "entry \(sequence) is missing: \(file) receipts it, but the ledger ends at \(head) (truncated or deleted)"
        case let .unsignedReceiptField(file, field, receipt, signed):
            return "\(file): the receipt's \(field) is \(receipt), but the entry it is signed for has \(signed)"
        case let .receiptMismatch(file, sequence, field, receipt, ledger):
            return "entry \(sequence): \(field) is \(ledger) in the ledger but \(receipt) in \(file); the update was rewritten"
        }
    }
}
