import Foundation
import GRDB
import Ledger
import Security

extension Aggregator {
    /// What `sites enrol` did with one certificate.
    public enum Enrolment: Equatable, Sendable {
        case enrolled(site: String)
        /// A new certificate for a site already enrolled (renewal); the old one no longer connects.
        case replaced(site: String)
        case alreadyEnrolled(site: String)
    }

    /// Enrols the site whose certificate is in `file`: the certificate must chain to the
    /// consortium CA, carry the client-authentication usage, have a CN (the site id) and not be
    /// revoked. The site row and its `site-enrolled` entry commit together.
    /// - Throws: ``AggregatorError/certificateRefused(file:reason:)``, `DatabaseError`.
    @discardableResult
    public func enrol(certificateFile file: URL) throws -> Enrolment {
        let certificate: X509Certificate
        do {
            certificate = try X509Certificate(contentsOf: file)
        } catch {
            throw AggregatorError.certificateRefused(file: file.path, reason: "\(error)")
        }
        let revoked = try database.read { db in try String.fetchAll(db, sql: "SELECT serial FROM revoked_serial") }
        do {
            try certificate.verify(trustAnchor: authority, requiredUsage: .clientAuth, revokedSerials: Set(revoked), at: clock())
        } catch {
            throw AggregatorError.certificateRefused(file: file.path, reason: "\(error)")
        }
        guard let site = certificate.commonName, !site.isEmpty else {
            throw AggregatorError.certificateRefused(file: file.path, reason: "the certificate has no subject common name (the site id)")
        }
        return try database.write { db in
            let existing = try SiteRecord.fetchOne(db, key: site)
            if let existing, existing.fingerprint == certificate.fingerprint.hex, existing.revokedAt == nil {
                return .alreadyEnrolled(site: site)
            }
            try SiteRecord(id: site, serial: certificate.serialNumber, fingerprint: certificate.fingerprint.hex,
                           certificate: Data(certificate.derRepresentation), enrolledAt: clock(), revokedAt: nil,
                           revocationReason: nil).save(db)
            _ = try ledger.append(.siteEnrolled(site: site, certificate: certificate), in: db)
            return existing == nil ? .enrolled(site: site) : .replaced(site: site)
        }
    }

    /// Revokes a site: its certificate's serial is refused at the next handshake, it leaves the
    /// eligible set of future rounds, and a `site-revoked` entry records why.
    /// - Throws: ``AggregatorError/noSuchSite(_:)``, `DatabaseError`.
    public func revoke(site: String, reason: String) throws {
        try database.write { db in
            guard var record = try SiteRecord.fetchOne(db, key: site) else { throw AggregatorError.noSuchSite(site) }
            let now = clock()
            try RevokedSerialRecord(serial: record.serial, site: site, reason: reason, revokedAt: now).save(db)
            record.revokedAt = now
            record.revocationReason = reason
            try record.update(db)
            _ = try ledger.append(.siteRevoked(site: site, serial: record.serial, reason: reason), in: db)
        }
    }

    /// Imports the consortium CA's CRL (`tessera ca revoke` writes it): every serial it lists is
    /// refused at the handshake from the next connection; an enrolled site whose certificate it
    /// lists is revoked with a `site-revoked` entry, in one transaction.
    /// - Returns: the sites revoked by this import.
    /// - Throws: ``AggregatorError/certificateRefused(file:reason:)`` for a CRL the CA did not sign.
    @discardableResult
    public func importRevocationList(_ file: URL) throws -> [String] {
        let list: CertificateRevocationList
        do {
            list = try CertificateRevocationList(pem: try String(contentsOf: file, encoding: .utf8), source: file.path, issuer: authority)
        } catch {
            throw AggregatorError.certificateRefused(file: file.path, reason: "\(error)")
        }
        return try database.write { db in
            let now = clock()
            var revokedSites: [String] = []
            for serial in list.revokedSerials where try RevokedSerialRecord.fetchOne(db, key: serial) == nil {
                var site = try SiteRecord.filter(Column("serial") == serial).fetchOne(db)
                try RevokedSerialRecord(serial: serial, site: site?.id, reason: "listed in the CA's CRL", revokedAt: now).insert(db)
                if var record = site, record.revokedAt == nil {
                    record.revokedAt = now
                    record.revocationReason = "listed in the CA's CRL"
                    try record.update(db)
                    _ = try ledger.append(.siteRevoked(site: record.id, serial: serial, reason: "listed in the CA's CRL"), in: db)
                    revokedSites.append(record.id)
                    site = record
                }
            }
            return revokedSites
        }
    }

    /// The site enrolled as `id`, revoked or not; nil if it never was.
    public func site(_ id: String) throws -> SiteRecord? {
        try database.read { db in try SiteRecord.fetchOne(db, key: id) }
    }

    /// Every enrolled site, revoked ones included, by id.
    public func sites() throws -> [SiteRecord] {
        try database.read { db in try SiteRecord.order(Column("id")).fetchAll(db) }
    }

    /// Whether a certificate serial is refused (the handshake's check: one indexed lookup).
    public func isRevoked(serial: String) throws -> Bool {
        let canonical = try X509Certificate.canonicalSerial(serial)
        return try database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM revoked_serial WHERE serial = ?)", arguments: [canonical]) ?? false
        }
    }
}

extension Aggregator {
    /// Each site's latest rejection in the ledger: `round N: reason (detail)`.
    public func lastRejections() throws -> [String: String] {
        try database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT site, round, json_extract(payload, '$.reason') AS reason, json_extract(payload, '$.detail') AS detail
                FROM ledger_entry WHERE sequence IN (SELECT MAX(sequence) FROM ledger_entry WHERE kind = 'update-rejected' GROUP BY site)
                """)
            var result: [String: String] = [:]
            for row in rows {
                guard let site: String = row["site"] else { continue }
                result[site] = "round \(row["round"] as Int? ?? 0): \(row["reason"] as String? ?? "?") (\(row["detail"] as String? ?? ""))"
            }
            return result
        }
    }
}
