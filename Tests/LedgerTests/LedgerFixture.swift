import Foundation
import GRDB
import Ledger
import Protocols
import Security

/// A consortium CA, a certified ledger key and a ledger file, in a fresh temporary directory.
struct LedgerFixture {
    let directory: URL
    let authority: CertificateAuthority
    let key: Ed25519Key
    let certificate: X509Certificate
    let ledgerURL: URL
    let store: LedgerStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-ledger-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        authority = try CertificateAuthority.initialise(directory: directory.appendingPathComponent("ca"), commonName: "Test Consortium CA")
        key = try Ed25519Key.generate()
        certificate = try authority.issueLedgerCertificate(for: try key.publicKey())
        ledgerURL = directory.appendingPathComponent("ledger.sqlite")
        store = try LedgerStore.open(at: ledgerURL, key: key, certificate: certificate)
    }

    /// The CA certificate's path, as `tessera audit verify --ca` takes it.
    var authorityCertificateURL: URL { directory.appendingPathComponent("ca/ca.pem") }

    /// A path inside the directory.
    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func remove() {
        try? FileManager.default.removeItem(at: directory)  // best effort: a leftover temp dir is harmless
    }

    /// The digest of a made-up update, distinct per name.
    static func digest(_ name: String) throws -> SHA256.Digest {
        try SHA256.hash(Array(name.utf8))
    }

    /// A small campaign: 3 sites enrolled, two rounds; site-c is rejected in round 1, round 2 fails.
    /// Returns the receipts of the accepted updates. `ledger`: another ledger with this key (a
    /// rewritten one) instead of the fixture's.
    @discardableResult
    func appendCampaign(to ledger: LedgerStore? = nil) throws -> [Receipt] {
        let store = ledger ?? self.store
        var receipts: [Receipt] = []
        let sites = ["site-a", "site-b", "site-c"]
        for site in sites {
            let siteCertificate = try authority.issueSiteCertificate(siteID: site).certificate
            _ = try store.append(.siteEnrolled(site: site, certificate: siteCertificate))
        }
        _ = try store.append(.campaignStarted(campaign: "chest-xray", baseDigest: try Self.digest("base"),
                                              planDigest: try Self.digest("plan"), rounds: 2))
        _ = try store.append(.roundOpened(round: 1, globalDigest: try Self.digest("global-0"), strategy: "fedavg",
                                          quorum: 2, deadline: nil, eligibleSites: sites))
        var contributors: [LedgerEvent.Contributor] = []
        for (site, samples) in [("site-a", 120), ("site-b", 60)] {
            let digest = try Self.digest("\(site)-1")
            _ = try store.append(.updateReceived(round: 1, site: site, digest: digest, bytes: 4096))
            let accepted = try store.append(.updateAccepted(round: 1, site: site, digest: digest, samples: samples, stepNorm: 0.25))
            receipts.append(try store.receipt(for: accepted))
            contributors.append(.init(site: site, digest: digest, samples: samples, weight: Double(samples) / 180))
        }
        _ = try store.append(.updateRejected(round: 1, site: "site-c", digest: try Self.digest("site-c-1"),
                                             reason: .nonFinite, detail: "tensor lora_B holds NaN"))
        _ = try store.append(.roundAggregated(round: 1, strategy: "fedavg", contributors: contributors,
                                              resultDigest: try Self.digest("global-1"), metrics: ["step_norm_mean": 0.25]))
        _ = try store.append(.modelPublished(round: 1, digest: try Self.digest("global-1")))
        _ = try store.append(.roundOpened(round: 2, globalDigest: try Self.digest("global-1"), strategy: "fedavg",
                                          quorum: 2, deadline: Date(timeIntervalSince1970: 1_800_000_000), eligibleSites: sites))
        let digest = try Self.digest("site-b-2")
        let accepted = try store.append(.updateAccepted(round: 2, site: "site-b", digest: digest, samples: 64, stepNorm: nil))
        receipts.append(try store.receipt(for: accepted))
        _ = try store.append(.siteRevoked(site: "site-c", serial: nil, reason: "left the consortium"))
        _ = try store.append(.roundFailed(round: 2, reason: "quorum not reached", validUpdates: 1, quorum: 2))
        return receipts
    }
}

extension LedgerFixture {
    /// A consistent copy of the ledger (SQLite's `VACUUM INTO`), as an auditor receives it.
    func copyOfLedger(_ name: String) throws -> URL {
        let copy = file(name)
        try store.database.writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM INTO ?", arguments: [copy.path])
        }
        return copy
    }

    /// Writes each receipt as `<site>/receipt-<sequence>.json` in a new directory `name`, one
    /// subdirectory per site as an auditor collects them.
    func writeReceipts(_ receipts: [Receipt], to name: String) throws -> URL {
        let directory = file(name)
        for receipt in receipts {
            let site = directory.appendingPathComponent(receipt.site)
            try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
            try WireJSON.encode(receipt).write(to: site.appendingPathComponent(String(format: "receipt-%02d.json", receipt.sequence)))
        }
        return directory
    }

    /// The verifier with this fixture's CA.
    var verifier: AuditVerifier { AuditVerifier(authority: authority.certificate) }
}
