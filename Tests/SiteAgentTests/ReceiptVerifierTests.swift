import Foundation
import Ledger
import Protocols
import Security
@testable import SiteAgent
import Testing

@Suite("Receipt verification")
struct ReceiptVerifierTests {
    /// A CA, a certified ledger key, and a real receipt for site-a's update in round 3.
    struct Signed {
        let directory: URL
        let authority: CertificateAuthority
        let ledger: LedgerStore
        let receipt: Receipt
        let digest: SHA256.Digest

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-receipt-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            authority = try CertificateAuthority.initialise(directory: directory.appendingPathComponent("ca"), commonName: "Test CA")
            let key = try Ed25519Key.generate()
            ledger = try LedgerStore.open(at: directory.appendingPathComponent("ledger.sqlite"), key: key,
                                          certificate: try authority.issueLedgerCertificate(for: try key.publicKey()))
            digest = try SHA256.hash(Array("update".utf8))
            let entry = try ledger.append(.updateAccepted(round: 3, site: "site-a", digest: digest, samples: 12, stepNorm: nil))
            receipt = try ledger.receipt(for: entry)
        }

        var verifier: ReceiptVerifier { ReceiptVerifier(authority: authority.certificate) }
    }

    @Test("a receipt signed by the CA-certified ledger key for this upload verifies")
    func goodReceipt() throws {
        let signed = try Signed()
        defer { try? FileManager.default.removeItem(at: signed.directory) }
        try signed.verifier.verify(signed.receipt, ledgerCertificate: signed.ledger.certificate, round: 3, site: "site-a", digest: signed.digest)
    }

    @Test("a flipped signature byte, another ledger key, or another digest is refused by case")
    func badReceipts() throws {
        let signed = try Signed()
        defer { try? FileManager.default.removeItem(at: signed.directory) }
        let certificate = signed.ledger.certificate

        var flipped = signed.receipt
        flipped.signature[5] ^= 0x01
        #expect(throws: ReceiptVerificationError.invalidSignature(round: 3, sequence: signed.receipt.sequence)) {
            try signed.verifier.verify(flipped, ledgerCertificate: certificate, round: 3, site: "site-a", digest: signed.digest)
        }

        let otherKey = try Ed25519Key.generate()
        let otherCertificate = try signed.authority.issueLedgerCertificate(for: try otherKey.publicKey())
        #expect(throws: ReceiptVerificationError.fingerprintMismatch(found: certificate.fingerprint.hex, expected: otherCertificate.fingerprint.hex)) {
            try signed.verifier.verify(signed.receipt, ledgerCertificate: otherCertificate, round: 3, site: "site-a", digest: signed.digest)
        }

        let otherDigest = try SHA256.hash(Array("another update".utf8))
        #expect(throws: ReceiptVerificationError.mismatch(field: "digest", found: signed.digest.hex, expected: otherDigest.hex)) {
            try signed.verifier.verify(signed.receipt, ledgerCertificate: certificate, round: 3, site: "site-a", digest: otherDigest)
        }
        #expect(throws: ReceiptVerificationError.mismatch(field: "round", found: "3", expected: "4")) {
            try signed.verifier.verify(signed.receipt, ledgerCertificate: certificate, round: 4, site: "site-a", digest: signed.digest)
        }
    }

    /// An aggregator that dropped site-a's update cannot answer with site-a's fields beside the
    /// signature of another accepted entry: the signed entry travels in the receipt.
    @Test("a receipt whose fields are not the signed entry's is refused, naming the field")
    func receiptFieldsAreBoundToTheSignature() throws {
        let signed = try Signed()
        defer { try? FileManager.default.removeItem(at: signed.directory) }
        let certificate = signed.ledger.certificate
        let other = try signed.ledger.receipt(for: try signed.ledger.append(
            .updateAccepted(round: 3, site: "site-b", digest: try SHA256.hash(Array("b".utf8)), samples: 5, stepNorm: nil)))
        var forged = signed.receipt
        (forged.sequence, forged.entryHash, forged.previousHash, forged.entry, forged.signature)
            = (other.sequence, other.entryHash, other.previousHash, other.entry, other.signature)
        #expect(throws: ReceiptVerificationError.unsigned(field: "site", found: "site-a", signed: "site-b")) {
            try signed.verifier.verify(forged, ledgerCertificate: certificate, round: 3, site: "site-a", digest: signed.digest)
        }

        var bare = signed.receipt
        (bare.entry, bare.previousHash) = (nil, nil)
        #expect(throws: ReceiptVerificationError.mismatch(field: "entry", found: "absent",
                                                          expected: "the signed ledger entry (is the aggregator older than this site?)")) {
            try signed.verifier.verify(bare, ledgerCertificate: certificate, round: 3, site: "site-a", digest: signed.digest)
        }

        var edited = signed.receipt
        edited.entry = edited.entry?.replacingOccurrences(of: "\"samples\":12", with: "\"samples\":13")
        #expect(edited.entry != signed.receipt.entry)
        do {
            try signed.verifier.verify(edited, ledgerCertificate: certificate, round: 3, site: "site-a", digest: signed.digest)
            Issue.record("an edited entry was accepted")
        } catch let ReceiptVerificationError.unsigned(field, found, _) {
            #expect(field == "entry_hash" && found == signed.receipt.entryHash.hex)
        }
    }

    @Test("a ledger certificate without the ledger-signing usage (a site's) is not trusted")
    func untrustedLedgerCertificate() throws {
        let signed = try Signed()
        defer { try? FileManager.default.removeItem(at: signed.directory) }
        let siteCertificate = try signed.authority.issueSiteCertificate(siteID: "site-b").certificate
        do {
            try signed.verifier.verify(signed.receipt, ledgerCertificate: siteCertificate, round: 3, site: "site-a", digest: signed.digest)
            Issue.record("a site certificate was accepted as the ledger's")
        } catch let ReceiptVerificationError.untrustedLedgerCertificate(fingerprint, reason) {
            #expect(fingerprint == siteCertificate.fingerprint.hex)
            #expect(reason == .missingExtendedKeyUsage(subject: siteCertificate.subject, required: .ledgerSigning,
                                                       found: siteCertificate.extendedKeyUsages))
        }
    }
}
