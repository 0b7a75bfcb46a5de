import Foundation
@testable import Security
import Testing

/// A CA initialised in a fresh temporary directory, with helpers to hand files to `openssl`.
struct AuthorityFixture {
    let directory: TemporaryDirectory
    var authority: CertificateAuthority

    init(commonName: String = "Tessera Test CA") throws {
        directory = try TemporaryDirectory()
        authority = try CertificateAuthority.initialise(directory: directory.file("ca"), commonName: commonName)
    }

    /// Writes `certificate` as PEM to `name` in the temporary directory (beside `ca/`).
    @discardableResult
    func save(_ certificate: X509Certificate, as name: String) throws -> URL {
        let url = directory.file(name)
        try Data(try certificate.pemRepresentation().utf8).write(to: url)
        return url
    }

    /// Runs openssl in the temporary directory.
    func openssl(_ arguments: [String]) throws -> OpenSSLTool.Output {
        try OpenSSLTool.run(arguments, in: directory.url)
    }

    /// `openssl req -new` options for a new P-256 key.
    static let newP256Key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]

    /// The bytes of a CSR made by `openssl req -new` for a new key (`own.key`), with `options`
    /// choosing the key, subject, extensions and form.
    func makeCSR(_ options: [String]) throws -> Data {
        let result = try openssl(["req", "-new", "-nodes", "-keyout", "own.key", "-out", "own.csr"] + options)
        try #require(result.status == 0, "\(result.standardError)")
        return try Data(contentsOf: directory.file("own.csr"))
    }
}

struct CertificateAuthorityTests {
    @Test func initialisesAuthorityWithP256KeyOfMode0600() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        let ca = fixture.authority.certificate
        #expect(ca.subject == "CN=Tessera Test CA" && ca.issuer == ca.subject)
        #expect(ca.isCertificateAuthority)
        #expect(ca.publicKeyAlgorithm == "EC")
        #expect(ca.notAfter.timeIntervalSince(ca.notBefore) == 3650 * 86_400 + 3600)
        let keyPath = fixture.directory.file("ca/ca-key.pem").path
        #expect(try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int == 0o600)

        let key = try fixture.openssl(["pkey", "-in", "ca/ca-key.pem", "-noout", "-text"])
        #expect(key.standardOutput.contains("NIST CURVE: P-256"))
        let extensions = try fixture.openssl(
            ["x509", "-in", "ca/ca.pem", "-noout", "-ext", "basicConstraints,keyUsage,subjectKeyIdentifier"])
        #expect(extensions.standardOutput.contains("X509v3 Basic Constraints: critical\n    CA:TRUE, pathlen:0"))
        #expect(extensions.standardOutput.contains("X509v3 Key Usage: critical\n    Certificate Sign, CRL Sign"))
        #expect(extensions.standardOutput.contains("X509v3 Subject Key Identifier"))
        let selfVerified = try fixture.openssl(["verify", "-x509_strict", "-CAfile", "ca/ca.pem", "ca/ca.pem"])
        #expect(selfVerified.status == 0, "\(selfVerified.standardError)")

        let reloaded = try CertificateAuthority(directory: fixture.directory.file("ca"))
        #expect(reloaded.certificate == ca)
    }

    @Test func refusesToOverwriteExistingAuthority() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        let directory = fixture.directory.file("ca")
        let keyBefore = try Data(contentsOf: directory.appendingPathComponent("ca-key.pem"))
        #expect(throws: SecurityError.refusingToOverwrite(path: directory.appendingPathComponent("ca-key.pem").path)) {
            try CertificateAuthority.initialise(directory: directory, commonName: "Another CA")
        }
        #expect(try Data(contentsOf: directory.appendingPathComponent("ca-key.pem")) == keyBefore)
        #expect(try CertificateAuthority(directory: directory).certificate == fixture.authority.certificate)
    }

    @Test func rejectsInvalidAuthorityName() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for name in ["", String(repeating: "x", count: 65)] {
            #expect(throws: SecurityError.invalidCommonName(value: name)) {
                try CertificateAuthority.initialise(directory: directory.file("ca"), commonName: name)
            }
        }
    }

    /// `openssl verify -purpose sslclient` accepts a site certificate, whose key is the one returned.
    @Test func issuesSiteCertificateThatOpenSSLVerifies() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        let credential = try fixture.authority.issueSiteCertificate(siteID: "site-a")
        let site = credential.certificate
        #expect(site.subject == "CN=site-a" && site.commonName == "site-a")
        #expect(site.issuer == "CN=Tessera Test CA")
        #expect(site.extendedKeyUsages == [.clientAuth])
        #expect(!site.isCertificateAuthority)
        #expect(site.notAfter.timeIntervalSince(site.notBefore) == 730 * 86_400 + 3600)
        try site.verify(trustAnchor: fixture.authority.certificate, requiredUsage: .clientAuth)

        try credential.write(certificateTo: fixture.directory.file("site.pem"), privateKeyTo: fixture.directory.file("site.key"))
        let keyMode = try FileManager.default.attributesOfItem(atPath: fixture.directory.file("site.key").path)[.posixPermissions]
        #expect(keyMode as? Int == 0o600)
        let verified = try fixture.openssl(
            ["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca/ca.pem", "site.pem"])
        #expect(verified.status == 0 && verified.standardOutput == "site.pem: OK\n", "\(verified.standardError)")
        let fromKey = try fixture.openssl(["pkey", "-in", "site.key", "-pubout"]).standardOutput
        let fromCertificate = try fixture.openssl(["x509", "-in", "site.pem", "-noout", "-pubkey"]).standardOutput
        #expect(!fromKey.isEmpty && fromKey == fromCertificate)
        #expect(throws: SecurityError.refusingToOverwrite(path: fixture.directory.file("site.pem").path)) {
            try credential.write(certificateTo: fixture.directory.file("site.pem"), privateKeyTo: fixture.directory.file("other.key"))
        }
        let copy = try X509Certificate(contentsOf: fixture.directory.file("ca/issued/\(site.serialNumber).pem"))
        #expect(copy == site)
    }

    @Test(arguments: ["", "site a", "site/a", "../ca", "sité", String(repeating: "s", count: 65)])
    func rejectsInvalidSiteID(siteID: String) throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        #expect(throws: SecurityError.invalidSiteID(value: siteID)) {
            try fixture.authority.issueSiteCertificate(siteID: siteID)
        }
        #expect(try fixture.authority.list().isEmpty)
    }

    @Test func issuesServerCertificateWithSubjectAlternativeNames() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        let server = try fixture.authority.issueServerCertificate(
            dnsNames: ["aggregator.consortium.example", "localhost"], ipAddresses: ["127.0.0.1", "::1"]
        ).certificate
        #expect(server.commonName == "aggregator.consortium.example")
        #expect(server.extendedKeyUsages == [.serverAuth])
        try server.verify(trustAnchor: fixture.authority.certificate, requiredUsage: .serverAuth)
        #expect(throws: SecurityError.missingExtendedKeyUsage(
            subject: "CN=aggregator.consortium.example", required: .clientAuth, found: [.serverAuth])) {
            try server.verify(trustAnchor: fixture.authority.certificate, requiredUsage: .clientAuth)
        }
        try fixture.save(server, as: "server.pem")
        let names = try fixture.openssl(["x509", "-in", "server.pem", "-noout", "-ext", "subjectAltName"])
        #expect(names.standardOutput.contains(
            "DNS:aggregator.consortium.example, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"))
        let verified = try fixture.openssl(
            ["verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname", "localhost",
             "-verify_ip", "127.0.0.1", "-CAfile", "ca/ca.pem", "server.pem"])
        #expect(verified.status == 0, "\(verified.standardError)")

        // A host name longer than a CN may be (64) is in the subjectAltName alone.
        let long = "tessera-aggregator.federated-learning.university-hospital.example.org"
        let longNamed = try fixture.authority.issueServerCertificate(dnsNames: [long], ipAddresses: []).certificate
        #expect(longNamed.commonName == "tessera-aggregator")
        try fixture.save(longNamed, as: "long.pem")
        let longVerified = try fixture.openssl(["verify", "-purpose", "sslserver", "-verify_hostname", long, "-CAfile", "ca/ca.pem", "long.pem"])
        #expect(longVerified.status == 0, "\(longVerified.standardError)")
    }

    /// Names that would smuggle extra entries into the extension's text, or are not names, are refused.
    @Test func rejectsInvalidServerNames() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        for name in ["evil.example,DNS:bank.example", "-leading.example", "a..b", "*.example", ""] {
            #expect(throws: SecurityError.invalidDNSName(value: name)) {
                try fixture.authority.issueServerCertificate(dnsNames: [name], ipAddresses: [])
            }
        }
        for address in ["300.1.1.1", "127.0.0.1,DNS:evil", "localhost"] {
            #expect(throws: SecurityError.invalidIPAddress(value: address)) {
                try fixture.authority.issueServerCertificate(dnsNames: ["ok.example"], ipAddresses: [address])
            }
        }
        #expect(throws: SecurityError.missingSubjectAlternativeName) {
            try fixture.authority.issueServerCertificate(dnsNames: [], ipAddresses: [])
        }
    }

    /// The ledger certificate carries the private OID, which openssl prints, and certifies the given key.
    @Test func issuesLedgerCertificateWithLedgerUsage() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        let ledgerKey = try Ed25519Key.generate()
        let ledger = try fixture.authority.issueLedgerCertificate(for: try ledgerKey.publicKey())
        #expect(ledger.commonName == "tessera-ledger")
        #expect(ledger.publicKeyAlgorithm == "ED25519")
        #expect(ledger.extendedKeyUsages == [.ledgerSigning])
        try ledger.verify(trustAnchor: fixture.authority.certificate, requiredUsage: .ledgerSigning)
        let signature = try ledgerKey.signature(for: Array("head".utf8))
        #expect(try Ed25519PublicKey(certificate: ledger).isValidSignature(signature, for: Array("head".utf8)))

        try fixture.save(ledger, as: "ledger.pem")
        let usage = try fixture.openssl(["x509", "-in", "ledger.pem", "-noout", "-ext", "extendedKeyUsage"])
        #expect(usage.standardOutput == "X509v3 Extended Key Usage: \n    2.25.279110837110713459072464236569464203761\n")
        let verified = try fixture.openssl(["verify", "-x509_strict", "-CAfile", "ca/ca.pem", "ledger.pem"])
        #expect(verified.status == 0, "\(verified.standardError)")
    }

    /// Only the ledger certificate passes a ledger-signing check.
    @Test func reservesLedgerUsageForLedgerCertificate() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        let site = try fixture.authority.issueSiteCertificate(siteID: "site-a").certificate
        let server = try fixture.authority.issueServerCertificate(dnsNames: ["localhost"], ipAddresses: []).certificate
        #expect(throws: SecurityError.missingExtendedKeyUsage(subject: "CN=site-a", required: .ledgerSigning, found: [.clientAuth])) {
            try site.verify(trustAnchor: fixture.authority.certificate, requiredUsage: .ledgerSigning)
        }
        #expect(throws: SecurityError.missingExtendedKeyUsage(subject: "CN=localhost", required: .ledgerSigning, found: [.serverAuth])) {
            try server.verify(trustAnchor: fixture.authority.certificate, requiredUsage: .ledgerSigning)
        }
    }

    /// A CSR from `openssl req` is signed for its key; its own subject and extensions are ignored.
    @Test func signsCSRMadeByOpenSSL() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        let request = try fixture.makeCSR(AuthorityFixture.newP256Key + [
            "-subj", "/CN=site-z/O=Someone Else", "-addext", "basicConstraints=critical,CA:TRUE"])
        let site = try fixture.authority.signCSR(pemData: request, siteID: "site-b")
        #expect(site.subject == "CN=site-b")
        #expect(!site.isCertificateAuthority)
        #expect(site.extendedKeyUsages == [.clientAuth])
        try site.verify(trustAnchor: fixture.authority.certificate, requiredUsage: .clientAuth)

        try fixture.save(site, as: "own.pem")
        let fromKey = try fixture.openssl(["pkey", "-in", "own.key", "-pubout"]).standardOutput
        let fromCertificate = try fixture.openssl(["x509", "-in", "own.pem", "-noout", "-pubkey"]).standardOutput
        #expect(!fromKey.isEmpty && fromKey == fromCertificate)
        let verified = try fixture.openssl(["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca/ca.pem", "own.pem"])
        #expect(verified.status == 0, "\(verified.standardError)")
        #expect(try fixture.authority.list().map(\.kind) == [.site])
    }

    /// A CSR whose signature was altered after signing is refused.
    @Test func rejectsCSRWithBadSignature() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        var der = try fixture.makeCSR(AuthorityFixture.newP256Key + ["-outform", "DER", "-subj", "/CN=site-b"])
        der[der.count - 1] ^= 0x01  // the last byte of the ECDSA signature's s
        let pem = "-----BEGIN CERTIFICATE REQUEST-----\n"
            + der.base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END CERTIFICATE REQUEST-----\n"
        #expect(throws: SecurityError.invalidCSRSignature(source: "certificate signing request for site site-b")) {
            try fixture.authority.signCSR(pemData: Data(pem.utf8), siteID: "site-b")
        }
        #expect(try fixture.authority.list().isEmpty)
    }

    @Test func rejectsCSRWithWeakKey() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        let request = try fixture.makeCSR(["-newkey", "rsa:1024", "-subj", "/CN=site-b"])
        #expect(throws: SecurityError.weakKey(
            source: "certificate signing request for site site-b", securityBits: 80, required: 112)) {
            try fixture.authority.signCSR(pemData: request, siteID: "site-b")
        }
    }

    @Test func rejectsGarbageCSR() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        #expect(throws: SecurityError.invalidPEM(
            source: "certificate signing request for site site-b", expected: "certificate signing request", openSSL: .init())) {
            try fixture.authority.signCSR(pemData: Data("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n".utf8), siteID: "site-b")
        }
    }

    /// Two CAs of the same name are different trust anchors.
    @Test func rejectsCertificateFromAnotherAuthority() throws {
        let consortium = try AuthorityFixture()
        let other = try AuthorityFixture()
        defer { consortium.directory.remove(); other.directory.remove() }
        let foreign = try other.authority.issueSiteCertificate(siteID: "site-a").certificate
        #expect(throws: SecurityError.untrustedCertificate(
            subject: "CN=site-a", issuer: "CN=Tessera Test CA", reason: "unable to get local issuer certificate")) {
            try foreign.verify(trustAnchor: consortium.authority.certificate, requiredUsage: .clientAuth)
        }
        try consortium.save(foreign, as: "foreign.pem")
        #expect(try consortium.openssl(["verify", "-CAfile", "ca/ca.pem", "foreign.pem"]).status != 0)
    }

    /// With the CA's clock three years back, a 2-year certificate has already expired; openssl agrees.
    @Test func rejectsExpiredSiteCertificate() throws {
        var fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        fixture.authority.now = { Date() - 3 * 365 * 86_400 }
        let site = try fixture.authority.issueSiteCertificate(siteID: "site-a").certificate
        #expect(throws: SecurityError.certificateExpired(subject: "CN=site-a", serial: site.serialNumber, notAfter: site.notAfter)) {
            try site.verify(trustAnchor: fixture.authority.certificate, requiredUsage: .clientAuth)
        }
        try fixture.save(site, as: "expired.pem")
        let verified = try fixture.openssl(["verify", "-CAfile", "ca/ca.pem", "expired.pem"])
        #expect(verified.status != 0 && verified.standardError.contains("certificate has expired"))
    }

    /// With the CA's clock a day ahead, the certificate is not valid yet, and the error names it.
    @Test func rejectsSiteCertificateNotYetValid() throws {
        var fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        fixture.authority.now = { Date() + 86_400 }
        let site = try fixture.authority.issueSiteCertificate(siteID: "site-a").certificate
        #expect(throws: SecurityError.certificateNotYetValid(subject: "CN=site-a", serial: site.serialNumber, notBefore: site.notBefore)) {
            try site.verify(trustAnchor: fixture.authority.certificate, requiredUsage: .clientAuth)
        }
    }

    /// Serials are positive, at most 128 bits, distinct, and the index lists every certificate in order.
    @Test func listsIssuedCertificatesWithUniqueSerials() throws {
        let fixture = try AuthorityFixture()
        defer { fixture.directory.remove() }
        var issued: [X509Certificate] = []
        for number in 0..<12 {
            issued.append(try fixture.authority.issueSiteCertificate(siteID: "site-\(number)").certificate)
        }
        issued.append(try fixture.authority.issueServerCertificate(dnsNames: ["localhost"], ipAddresses: []).certificate)
        issued.append(try fixture.authority.issueLedgerCertificate(for: try Ed25519Key.generate().publicKey()))
        let records = try fixture.authority.list()
        #expect(records.map(\.serialNumber) == issued.map(\.serialNumber))
        #expect(records.map(\.commonName) == issued.map { $0.commonName ?? "" })
        #expect(records.map(\.fingerprint) == issued.map(\.fingerprint.hex))
        #expect(records.map(\.kind) == Array(repeating: .site, count: 12) + [.server, .ledger])
        #expect(Set(records.map(\.serialNumber) + [fixture.authority.certificate.serialNumber]).count == 15)
        for serial in records.map(\.serialNumber) {
            #expect(serial.count <= 32)
            // Canonical hex drops leading zero digits, so only a full 32-digit serial can have its top bit set.
            #expect(serial.count < 32 || serial.first.flatMap { $0.hexDigitValue }.map { $0 < 8 } == true, "positive: top bit clear")
        }
        #expect(records.allSatisfy { $0.revocationDate == nil })
    }

    @Test func rejectsAuthorityKeyOfAnotherCertificate() throws {
        let fixture = try AuthorityFixture()
        let other = try AuthorityFixture()
        defer { fixture.directory.remove(); other.directory.remove() }
        let directory = fixture.directory.file("ca")
        let keyURL = directory.appendingPathComponent("ca-key.pem")
        try FileManager.default.removeItem(at: keyURL)
        try FileManager.default.copyItem(at: other.directory.file("ca/ca-key.pem"), to: keyURL)
        #expect(throws: SecurityError.authorityKeyMismatch(
            keyPath: keyURL.path, certificatePath: directory.appendingPathComponent("ca.pem").path)) {
            try CertificateAuthority(directory: directory)
        }
    }

    @Test func reportsMissingAuthority() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let error = #expect(throws: SecurityError.self) { try CertificateAuthority(directory: directory.file("ca")) }
        guard case .fileUnreadable(let path, _) = error else {
            Issue.record("expected fileUnreadable, got \(String(describing: error))")
            return
        }
        #expect(path == directory.file("ca/ca.pem").path)
    }
}
