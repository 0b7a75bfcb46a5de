import Foundation
import Protocols
import Security

/// Verifies a ledger offline against the consortium CA, as docs/LEDGER.md §5 describes: the ledger
/// certificate in entry 1, sequence continuity, each entry's canonical bytes against its columns,
/// the hash chain, every signature, that each aggregation counts exactly the updates last accepted
/// in its round, and, given receipts and signed heads, that each is present and unchanged. The first problem
/// is thrown as an ``AuditFailure`` naming the entry.
///
/// ```swift
/// let verifier = AuditVerifier(authority: try X509Certificate(contentsOf: caURL))
/// let summary = try verifier.verify(ledgerAt: ledgerURL, receiptsIn: receiptsURL)
/// ```
public struct AuditVerifier: Sendable {
    /// What a successful verification covered.
    public struct Summary: Equatable, Sendable {
        public let entryCount: Int
        public let headHash: SHA256.Digest
        public let certificate: X509Certificate
        public let receiptCount: Int
        /// Signed heads checked (`GET /v1/ledger/head` answers kept earlier).
        public let headCount: Int
    }

    /// The consortium CA certificate: the only trust anchor.
    public let authority: X509Certificate

    public init(authority: X509Certificate) {
        self.authority = authority
    }

    /// Verifies the ledger file at `url`, the receipts (`*.json`) in `receipts`, if given, and
    /// the signed heads in the files `heads`: a ledger cut back or rewritten since a head was
    /// fetched no longer holds it.
    /// - Throws: the first ``AuditFailure``.
    public func verify(ledgerAt url: URL, receiptsIn receipts: URL? = nil, heads: [URL] = []) throws -> Summary {
        let entries = try LedgerFile.readEntries(at: url)
        guard !entries.isEmpty else { throw AuditFailure.emptyLedger(path: url.path) }
        let signedHeads = try heads.map { file in
            do {
                return (file.path, try WireJSON.decode(LedgerHead.self, from: try Data(contentsOf: file)))
            } catch {
                throw AuditFailure.untrustedHead(file: file.path, reason: "not a readable signed head (\(error))")
            }
        }
        return try verify(entries: entries, receipts: try receipts.map(Self.readReceipts) ?? [], heads: signedHeads)
    }

    /// Verifies entries (in sequence order, as read), named receipts and named signed heads.
    /// - Throws: the first ``AuditFailure``.
    public func verify(entries: [LedgerEntry], receipts: [(file: String, receipt: Receipt)],
                       heads: [(file: String, head: LedgerHead)] = []) throws -> Summary {
        guard let first = entries.first else { throw AuditFailure.emptyLedger(path: "ledger") }
        let certificate = try verifiedCertificate(first)
        let publicKey: Ed25519PublicKey
        do {
            publicKey = try Ed25519PublicKey(certificate: certificate)
        } catch {
            throw AuditFailure.unreadableCertificate(sequence: 1, reason: "\(error)")
        }
        var previousHash = try HashChain.genesisPreviousHash()
        for (index, entry) in entries.enumerated() {
            let expected = index + 1
            guard entry.sequence == expected else {
                throw AuditFailure.missingEntries(expected: expected, found: entry.sequence)
            }
            try checkCanonicalBytes(of: entry)
            guard entry.previousHash == previousHash else {
                throw AuditFailure.brokenLink(sequence: entry.sequence, previousHash: entry.previousHash.hex, expected: previousHash.hex)
            }
            let computed = try HashChain.hash(previous: entry.previousHash, canonical: entry.canonical)
            guard computed == entry.hash else {
                throw AuditFailure.hashMismatch(sequence: entry.sequence, stored: entry.hash.hex, computed: computed.hex)
            }
            guard publicKey.isValidSignature(entry.signature, for: entry.hash.bytes) else {
                throw AuditFailure.invalidSignature(sequence: entry.sequence)
            }
            guard entry.time >= certificate.notBefore, entry.time <= certificate.notAfter else {
                throw AuditFailure.entryOutsideCertificateValidity(
                    sequence: entry.sequence, time: entry.time, notBefore: certificate.notBefore, notAfter: certificate.notAfter)
            }
            previousHash = entry.hash
        }
        try checkContributions(entries)
        for (file, receipt) in receipts {
            try check(receipt, file: file, entries: entries, certificate: certificate, publicKey: publicKey)
        }
        for (file, head) in heads {
            guard head.ledgerKeyFingerprint == certificate.fingerprint else {
                throw AuditFailure.untrustedHead(file: file, reason: "it names ledger key \(head.ledgerKeyFingerprint.hex), this ledger's certificate is \(certificate.fingerprint.hex)")
            }
            guard publicKey.isValidSignature(Array(head.signature), for: head.hash.bytes) else {
                throw AuditFailure.untrustedHead(file: file, reason: "its signature does not verify with the ledger key")
            }
            // Only the hash is signed (a head's sequence and time are not), so the entry is found by its hash.
            guard entries.contains(where: { $0.hash == head.hash }) else {
                let found = head.sequence >= 1 && head.sequence <= entries.count ? "holds hash \(entries[head.sequence - 1].hash.hex) there" : "ends at \(entries.count)"
                throw AuditFailure.headNotInLedger(file: file, sequence: head.sequence, hash: head.hash.hex, found: found)
            }
        }
        return Summary(entryCount: entries.count, headHash: previousHash, certificate: certificate, receiptCount: receipts.count,
                       headCount: heads.count)
    }

    /// The receipts in `directory` and its subdirectories (one per site, as each site keeps its
    /// own `receipts/round-R.json`): every `*.json` file, in path order.
    /// - Throws: `AuditFailure.unreadableReceipt`.
    public static func readReceipts(in directory: URL) throws -> [(file: String, receipt: Receipt)] {
        let names: [String]
        do {
            names = try FileManager.default.subpathsOfDirectory(atPath: directory.path)
        } catch {
            throw AuditFailure.unreadableReceipt(file: directory.path, reason: "cannot list the directory: \(error.localizedDescription)")
        }
        return try names.filter { $0.hasSuffix(".json") }.sorted().map { name in
            let url = directory.appendingPathComponent(name)
            do {
                return (url.path, try WireJSON.decode(Receipt.self, from: try Data(contentsOf: url)))
            } catch {
                throw AuditFailure.unreadableReceipt(file: url.path, reason: "\(error)")
            }
        }
    }

    private func verifiedCertificate(_ first: LedgerEntry) throws -> X509Certificate {
        guard first.sequence == 1 else { throw AuditFailure.missingEntries(expected: 1, found: first.sequence) }
        guard first.kind == .ledgerCreated else { throw AuditFailure.missingGenesis(sequence: 1, kind: first.kind) }
        let certificate: X509Certificate
        do {
            certificate = try LedgerStore.certificate(inGenesis: first)
        } catch {
            throw AuditFailure.unreadableCertificate(sequence: 1, reason: "\(error)")
        }
        do {
            try certificate.verify(trustAnchor: authority, requiredUsage: .ledgerSigning, at: first.time)
        } catch let error as SecurityError {
            throw AuditFailure.untrustedLedgerCertificate(fingerprint: certificate.fingerprint.hex, reason: error)
        }
        return certificate
    }

    /// The stored canonical bytes are canonical, hold this row's sequence, and agree with every column.
    private func checkCanonicalBytes(of entry: LedgerEntry) throws {
        let sequence = entry.sequence
        let signed: JSONValue
        do {
            signed = try CanonicalJSON.parsed(entry.canonical)
            guard try CanonicalJSON.encoded(signed) == entry.canonical else {
                throw AuditFailure.nonCanonicalBytes(sequence: sequence, reason: "the bytes are JSON but not in JCS form")
            }
        } catch let error as LedgerError {
            throw AuditFailure.nonCanonicalBytes(sequence: sequence, reason: "\(error)")
        }
        guard case let .object(members) = signed else {
            throw AuditFailure.nonCanonicalBytes(sequence: sequence, reason: "not a JSON object")
        }
        let known: Set = ["kind", "payload", "round", "sequence", "site", "time"]
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw AuditFailure.nonCanonicalBytes(sequence: sequence, reason: "unexpected member \(unknown)")
        }
        guard let signedSequence = members["sequence"]?.integerValue else {
            throw AuditFailure.nonCanonicalBytes(sequence: sequence, reason: "no integer member sequence")
        }
        guard signedSequence == sequence else {
            throw AuditFailure.reordered(sequence: sequence, signedSequence: signedSequence)
        }
        func text(_ value: JSONValue?) throws -> String {
            guard let value else { return "absent" }
            return String(decoding: try CanonicalJSON.encoded(value), as: UTF8.self)
        }
        let columns: [(field: String, column: JSONValue?)] = [
            ("kind", .string(entry.kind.rawValue)),
            ("time", .string(LedgerTime.text(entry.time))),
            ("round", entry.round.map { .number(Double($0)) }),
            ("site", entry.site.map(JSONValue.string)),
            ("payload", entry.payload),
        ]
        for (field, column) in columns {
            let columnText = try text(column)
            let signedText = try text(members[field])
            guard columnText == signedText else {
                throw AuditFailure.fieldMismatch(sequence: sequence, field: field, column: columnText, signed: signedText)
            }
        }
        // Every member agrees, so the bytes recomputed from the columns must be the stored ones.
        guard try entry.canonicalBytesOfFields() == entry.canonical else {
            throw AuditFailure.nonCanonicalBytes(sequence: sequence, reason: "the columns do not re-encode to the stored bytes")
        }
    }

    /// No accepted update was dropped and none was invented: each `round-aggregated` entry's
    /// contributors are exactly the last update accepted from each site in that round (a later
    /// acceptance replaces a site's earlier one), digest and samples alike, and no update is
    /// accepted into a round that an aggregation or failure had already closed.
    private func checkContributions(_ entries: [LedgerEntry]) throws {
        var accepted: [Int: [String: (digest: String, samples: Int, sequence: Int)]] = [:]
        var closedBy: [Int: Int] = [:]
        for entry in entries {
            guard let round = entry.round else { continue }
            switch entry.kind {
            case .updateAccepted:
                if let closing = closedBy[round] {
                    throw AuditFailure.acceptedAfterClose(sequence: entry.sequence, round: round, closedAt: closing)
                }
                guard let site = entry.site, let digest = entry.payload["digest"]?.stringValue,
                      let samples = entry.payload["samples"]?.integerValue else {
                    throw AuditFailure.malformedEntry(sequence: entry.sequence, column: "payload", found: "an update-accepted entry without site, digest or samples",
                                                      expected: "{\"digest\", \"samples\"} and a site")
                }
                accepted[round, default: [:]][site] = (digest, samples, entry.sequence)
            case .roundAggregated:
                closedBy[round] = entry.sequence
                var expected = accepted[round] ?? [:]
                for contributor in entry.payload["contributors"]?.arrayValue ?? [] {
                    let site = contributor["site"]?.stringValue ?? "", digest = contributor["digest"]?.stringValue ?? ""
                    let samples = contributor["samples"]?.integerValue ?? -1
                    guard let update = expected.removeValue(forKey: site), update.digest == digest, update.samples == samples else {
                        throw AuditFailure.unacceptedContribution(sequence: entry.sequence, round: round, site: site, digest: digest, samples: samples)
                    }
                }
                if let dropped = expected.min(by: { $0.value.sequence < $1.value.sequence }) {
                    throw AuditFailure.droppedUpdate(sequence: entry.sequence, round: round, site: dropped.key, digest: dropped.value.digest,
                                                     accepted: dropped.value.sequence)
                }
            case .roundFailed:
                closedBy[round] = entry.sequence
            default:
                break
            }
        }
    }

    private func check(_ receipt: Receipt, file: String, entries: [LedgerEntry], certificate: X509Certificate,
                       publicKey: Ed25519PublicKey) throws {
        guard receipt.ledgerKeyFingerprint == certificate.fingerprint else {
            throw AuditFailure.receiptFromAnotherLedgerKey(
                file: file, found: receipt.ledgerKeyFingerprint.hex, expected: certificate.fingerprint.hex)
        }
        guard publicKey.isValidSignature(Array(receipt.signature), for: receipt.entryHash.bytes) else {
            throw AuditFailure.invalidReceiptSignature(file: file, sequence: receipt.sequence)
        }
        // A receipt kept from before receipts carried their entry is checked against the ledger alone.
        guard (receipt.entry == nil) == (receipt.previousHash == nil) else {
            throw AuditFailure.unreadableReceipt(file: file, reason: "previous_hash and entry must both be present or both absent")
        }
        if receipt.entry != nil, let (field, receipted, signed) = try receipt.unsignedField() {
            throw AuditFailure.unsignedReceiptField(file: file, field: field, receipt: receipted, signed: signed)
        }
        // Entries were checked to run 1, 2, … without gaps, so sequence s is at index s − 1.
        guard receipt.sequence >= 1, receipt.sequence <= entries.count else {
            throw AuditFailure.receiptedEntryMissing(file: file, sequence: receipt.sequence, head: entries.count)
        }
        let entry = entries[receipt.sequence - 1]
        func mismatch(_ field: String, _ receipted: String, _ ledger: String) -> AuditFailure {
            .receiptMismatch(file: file, sequence: receipt.sequence, field: field, receipt: receipted, ledger: ledger)
        }
        guard entry.hash == receipt.entryHash else { throw mismatch("entry_hash", receipt.entryHash.hex, entry.hash.hex) }
        guard entry.kind == .updateAccepted else {
            throw mismatch("kind", LedgerEntryKind.updateAccepted.rawValue, entry.kind.rawValue)
        }
        guard entry.round == receipt.round else { throw mismatch("round", "\(receipt.round)", entry.round.map(String.init) ?? "NULL") }
        guard entry.site == receipt.site else { throw mismatch("site", receipt.site, entry.site ?? "NULL") }
        let digest = entry.payload["digest"]?.stringValue
        guard digest == receipt.digest.hex else { throw mismatch("digest", receipt.digest.hex, digest ?? "absent") }
    }
}
