import Foundation
@testable import Security
import Testing

struct CertificateAuthorityRevocationTests {
    /// A revoked site is refused by `verify`, listed in the index and in a CRL that openssl verifies
    /// and applies (`openssl verify -crl_check`), while another site still passes.
    @Test func revokesSiteAndWritesCRLThatOpenSSLAccepts() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        let revoked = try fixture.authority.issueSiteCertificate(siteID: "site-a").certificate
        let kept = try fixture.authority.issueSiteCertificate(siteID: "site-b").certificate
        try fixture.authority.revoke(serial: revoked.serialNumber.uppercased())

        let records = try fixture.authority.list()
        #expect(records.map { $0.revocationDate != nil } == [true, false])
        let revokedSerials = Set(records.filter { $0.revocationDate != nil }.map(\.serialNumber))
        #expect(throws: SecurityError.certificateRevoked(subject: "CN=site-a", serial: revoked.serialNumber)) {
            try revoked.verify(trustAnchor: fixture.authority.certificate, requiredUsage: .clientAuth,
                               revokedSerials: revokedSerials)
        }
        try kept.verify(trustAnchor: fixture.authority.certificate, requiredUsage: .clientAuth, revokedSerials: revokedSerials)

        let pem = try fixture.authority.writeCRL()
        #expect(pem.hasPrefix("-----BEGIN X509 CRL-----\n"))
        #expect(try String(contentsOf: fixture.authority.crlURL, encoding: .utf8) == pem)
        let checked = try fixture.openssl(["crl", "-in", "ca/crl.pem", "-CAfile", "ca/ca.pem", "-noout", "-verify"])
        #expect(checked.status == 0 && checked.standardError.contains("verify OK"), "\(checked.standardError)")
        let text = try fixture.openssl(["crl", "-in", "ca/crl.pem", "-noout", "-text"]).standardOutput
        #expect(text.contains("Serial Number: \(revoked.serialNumber.uppercased())"))
        #expect(!text.contains(kept.serialNumber.uppercased()))
        #expect(text.contains("X509v3 CRL Number: \n                1\n"))
        #expect(text.contains("X509v3 Authority Key Identifier"))

        try fixture.save(revoked, as: "revoked.pem")
        try fixture.save(kept, as: "kept.pem")
        let refused = try fixture.openssl(
            ["verify", "-crl_check", "-CAfile", "ca/ca.pem", "-CRLfile", "ca/crl.pem", "revoked.pem"])
        #expect(refused.status != 0 && refused.standardError.contains("certificate revoked"), "\(refused.standardError)")
        let accepted = try fixture.openssl(
            ["verify", "-crl_check", "-CAfile", "ca/ca.pem", "-CRLfile", "ca/crl.pem", "kept.pem"])
        #expect(accepted.status == 0, "\(accepted.standardError)")
    }

    /// Each CRL gets the next number, an empty CRL verifies, and revoking twice keeps the first date.
    @Test func numbersCRLsAndKeepsFirstRevocationDate() throws {
        var fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        try fixture.authority.writeCRL()
        let site = try fixture.authority.issueSiteCertificate(siteID: "site-a").certificate
        let firstDate = Date(timeIntervalSince1970: 1_800_000_000)
        fixture.authority.now = { firstDate }
        try fixture.authority.revoke(serial: site.serialNumber)
        fixture.authority.now = { firstDate + 86_400 }
        try fixture.authority.revoke(serial: "00" + site.serialNumber)
        #expect(try fixture.authority.list().first?.revocationDate == firstDate)

        fixture.authority.now = { Date() }
        try fixture.authority.writeCRL()
        let text = try fixture.openssl(["crl", "-in", "ca/crl.pem", "-noout", "-text"]).standardOutput
        #expect(text.contains("X509v3 CRL Number: \n                2\n"))
        #expect(text.contains("Revocation Date: Jan 15 08:00:00 2027 GMT"))
        let checked = try fixture.openssl(["crl", "-in", "ca/crl.pem", "-CAfile", "ca/ca.pem", "-noout", "-verify"])
        #expect(checked.status == 0, "\(checked.standardError)")
    }

    @Test func rejectsUnknownOrMalformedSerial() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        _ = try fixture.authority.issueSiteCertificate(siteID: "site-a")
        #expect(throws: SecurityError.unknownSerial(
            value: "0123abcd", indexPath: fixture.directory.file("ca/index.json").path)) {
            try fixture.authority.revoke(serial: "0123abcd")
        }
        #expect(throws: SecurityError.unknownSerial(
            value: fixture.authority.certificate.serialNumber, indexPath: fixture.directory.file("ca/index.json").path)) {
            try fixture.authority.revoke(serial: fixture.authority.certificate.serialNumber)
        }
        #expect(throws: SecurityError.invalidSerial(value: "not-hex")) {
            try fixture.authority.revoke(serial: "not-hex")
        }
        #expect(try fixture.authority.list().allSatisfy { $0.revocationDate == nil })
    }

    @Test func reportsCorruptIndex() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        let index = fixture.directory.file("ca/index.json")
        try Data("{\"certificates\": [".utf8).write(to: index)
        let error = #expect(throws: SecurityError.self) { try fixture.authority.issueSiteCertificate(siteID: "site-a") }
        guard case .corruptIndex(let path, _) = error else {
            Issue.record("expected corruptIndex, got \(String(describing: error))")
            return
        }
        #expect(path == index.path)
    }
}
