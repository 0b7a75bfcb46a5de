import Foundation
import Security
import Testing

struct X509CertificateTests {
    /// Every field matches what `openssl x509` prints for the same certificate.
    @Test func readsFieldsLikeOpenSSL() throws {
        let fixtures = try OpenSSLFixtures()
        defer { fixtures.directory.remove() }
        let url = try fixtures.issue(name: "site", commonName: "site-a", days: 7)
        let certificate = try X509Certificate(contentsOf: url)
        let authority = try X509Certificate(contentsOf: fixtures.file("ca.pem"))

        #expect(certificate.subject == "CN=site-a")
        #expect(certificate.commonName == "site-a")
        #expect(certificate.issuer == "CN=Test CA")
        let serial = try fixtures.run(["x509", "-in", "site.pem", "-noout", "-serial"])
        #expect("serial=" + certificate.serialNumber.uppercased() + "\n" == serial)
        let fingerprint = try fixtures.run(["x509", "-in", "site.pem", "-noout", "-fingerprint", "-sha256"])
        #expect(fingerprint.lowercased().filter { $0 != ":" }.hasSuffix("=" + certificate.fingerprint.hex + "\n"))
        #expect(certificate.notAfter.timeIntervalSince(certificate.notBefore) == 7 * 86_400)
        #expect(abs(certificate.notBefore.timeIntervalSinceNow) < 600)
        #expect(certificate.extendedKeyUsages == [.clientAuth])
        #expect(!certificate.isCertificateAuthority)
        #expect(authority.isCertificateAuthority)
        #expect(authority.extendedKeyUsages.isEmpty)
        #expect(certificate.publicKeyAlgorithm == "EC")
        try fixtures.run(["pkey", "-in", "site.key", "-pubout", "-outform", "DER", "-out", "site-public.der"])
        #expect(certificate.publicKeyDER == Array(try Data(contentsOf: fixtures.file("site-public.der"))))
    }

    /// DER and PEM of one certificate load equal; PEM out equals openssl's PEM.
    @Test func loadsDERAndPEMAlike() throws {
        let fixtures = try OpenSSLFixtures()
        defer { fixtures.directory.remove() }
        try fixtures.issue(name: "site", commonName: "site-a")
        try fixtures.run(["x509", "-in", "site.pem", "-outform", "DER", "-out", "site.der"])
        let fromPEM = try X509Certificate(contentsOf: fixtures.file("site.pem"))
        let fromDER = try X509Certificate(contentsOf: fixtures.file("site.der"))
        #expect(fromPEM == fromDER)
        #expect(fromDER.derRepresentation == Array(try Data(contentsOf: fixtures.file("site.der"))))
        let pem = String(decoding: try Data(contentsOf: fixtures.file("site.pem")), as: UTF8.self)
        #expect(try fromDER.pemRepresentation() == pem)
    }

    @Test func loadsChainInOrder() throws {
        let fixtures = try OpenSSLFixtures()
        defer { fixtures.directory.remove() }
        try fixtures.issue(name: "site", commonName: "site-a")
        let bundle = try ["site.pem", "ca.pem"].map {
            String(decoding: try Data(contentsOf: fixtures.file($0)), as: UTF8.self)
        }.joined(separator: "subject=a comment openssl writes between blocks\n")
        let chain = try X509Certificate.chain(pem: bundle, source: "bundle.pem")
        #expect(chain.map(\.commonName) == ["site-a", "Test CA"])
    }

    @Test func rejectsGarbagePEM() {
        #expect(throws: SecurityError.invalidPEM(source: "garbage.pem", expected: "certificate", openSSL: .init())) {
            try X509Certificate(pem: "not a certificate", source: "garbage.pem")
        }
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        #expect(throws: SecurityError.invalidPEM(source: "broken.pem", expected: "certificate", openSSL: .init())) {
            try X509Certificate.chain(pem: broken, source: "broken.pem")
        }
        let error = #expect(throws: SecurityError.self) { try X509Certificate(pem: "", source: "empty.pem") }
        #expect(error?.description.contains("no start line") == true)
    }

    @Test func rejectsGarbageAndTrailingBytesInDER() throws {
        let fixtures = try OpenSSLFixtures()
        defer { fixtures.directory.remove() }
        let der = try X509Certificate(contentsOf: fixtures.file("ca.pem")).derRepresentation
        #expect(throws: SecurityError.invalidDER(source: "extra.der", expected: "certificate", openSSL: .init())) {
            try X509Certificate(der: der + [0], source: "extra.der")
        }
        #expect(throws: SecurityError.invalidDER(source: "short.der", expected: "certificate", openSSL: .init())) {
            try X509Certificate(der: Array(der.dropLast()), source: "short.der")
        }
        #expect(throws: SecurityError.invalidDER(source: "empty.der", expected: "certificate", openSSL: .init())) {
            try X509Certificate(der: [], source: "empty.der")
        }
    }

    @Test func verifiesCertificateIssuedByTrustAnchor() throws {
        let fixtures = try OpenSSLFixtures()
        defer { fixtures.directory.remove() }
        let site = try X509Certificate(contentsOf: try fixtures.issue(name: "site", commonName: "site-a"))
        let authority = try X509Certificate(contentsOf: fixtures.file("ca.pem"))
        try site.verify(trustAnchor: authority, requiredUsage: .clientAuth, revokedSerials: ["01", "ff"])
    }

    /// Another CA of the same name is not the consortium CA: no certificate in the store matches
    /// the leaf's authority key identifier, so OpenSSL finds no issuer.
    @Test func rejectsCertificateFromAnotherCA() throws {
        let consortium = try OpenSSLFixtures()
        let impostor = try OpenSSLFixtures()
        defer { consortium.directory.remove(); impostor.directory.remove() }
        let site = try X509Certificate(contentsOf: try impostor.issue(name: "site", commonName: "site-a"))
        let authority = try X509Certificate(contentsOf: consortium.file("ca.pem"))
        #expect(throws: SecurityError.untrustedCertificate(
            subject: "CN=site-a", issuer: "CN=Test CA", reason: "unable to get local issuer certificate")) {
            try site.verify(trustAnchor: authority, requiredUsage: .clientAuth)
        }
    }

    @Test func rejectsSelfSignedCertificate() throws {
        let fixtures = try OpenSSLFixtures()
        let other = try OpenSSLFixtures(caName: "site-a")
        defer { fixtures.directory.remove(); other.directory.remove() }
        let selfSigned = try X509Certificate(contentsOf: other.file("ca.pem"))
        let authority = try X509Certificate(contentsOf: fixtures.file("ca.pem"))
        #expect(throws: SecurityError.untrustedCertificate(
            subject: "CN=site-a", issuer: "CN=site-a", reason: "self-signed certificate")) {
            try selfSigned.verify(trustAnchor: authority, requiredUsage: .clientAuth)
        }
    }

    /// `openssl x509 -days -1` makes a certificate whose validity ended a day ago.
    @Test func rejectsExpiredCertificate() throws {
        let fixtures = try OpenSSLFixtures()
        defer { fixtures.directory.remove() }
        let site = try X509Certificate(contentsOf: try fixtures.issue(name: "site", commonName: "site-a", days: -1))
        let authority = try X509Certificate(contentsOf: fixtures.file("ca.pem"))
        #expect(site.notAfter < Date())
        #expect(throws: SecurityError.certificateExpired(
            subject: "CN=site-a", serial: site.serialNumber, notAfter: site.notAfter)) {
            try site.verify(trustAnchor: authority, requiredUsage: .clientAuth)
        }
    }

    /// Validity is checked at the time given (an audit of an older ledger entry), and the error names
    /// the certificate at fault: OpenSSL checks from the anchor down, so before both start, and after
    /// the CA's end, it is the CA.
    @Test func checksValidityAtTheGivenTime() throws {
        let fixtures = try OpenSSLFixtures()
        defer { fixtures.directory.remove() }
        let site = try X509Certificate(contentsOf: try fixtures.issue(name: "site", commonName: "site-a", days: 60))
        let authority = try X509Certificate(contentsOf: fixtures.file("ca.pem"))
        #expect(throws: SecurityError.certificateNotYetValid(
            subject: "CN=Test CA", serial: authority.serialNumber, notBefore: authority.notBefore)) {
            try site.verify(trustAnchor: authority, requiredUsage: .clientAuth, at: site.notBefore - 3600)
        }
        try site.verify(trustAnchor: authority, requiredUsage: .clientAuth, at: site.notBefore + 3600)
        #expect(throws: SecurityError.certificateExpired(
            subject: "CN=Test CA", serial: authority.serialNumber, notAfter: authority.notAfter)) {
            try site.verify(trustAnchor: authority, requiredUsage: .clientAuth, at: authority.notAfter + 3600)
        }
    }

    /// A revoked serial is refused however its hex is written (case, leading zeros).
    @Test func rejectsRevokedSerial() throws {
        let fixtures = try OpenSSLFixtures()
        defer { fixtures.directory.remove() }
        let site = try X509Certificate(contentsOf: try fixtures.issue(name: "site", commonName: "site-a"))
        let authority = try X509Certificate(contentsOf: fixtures.file("ca.pem"))
        for written in [site.serialNumber, site.serialNumber.uppercased(), "000" + site.serialNumber] {
            #expect(throws: SecurityError.certificateRevoked(subject: "CN=site-a", serial: site.serialNumber)) {
                try site.verify(trustAnchor: authority, requiredUsage: .clientAuth, revokedSerials: ["0a", written])
            }
        }
        for malformed in ["xyz", "", "-1", "0x1f", String(repeating: "f", count: 41)] {
            #expect(throws: SecurityError.invalidSerial(value: malformed)) {
                try site.verify(trustAnchor: authority, requiredUsage: .clientAuth, revokedSerials: [malformed])
            }
        }
    }

    /// A server certificate cannot act as a site, and a certificate without the extension serves nothing.
    @Test func rejectsMissingExtendedKeyUsage() throws {
        let fixtures = try OpenSSLFixtures()
        defer { fixtures.directory.remove() }
        let server = try X509Certificate(contentsOf: try fixtures.issue(
            name: "server", commonName: "aggregator", extensions: ["extendedKeyUsage=serverAuth"]))
        let bare = try X509Certificate(contentsOf: try fixtures.issue(name: "bare", commonName: "site-b", extensions: []))
        let authority = try X509Certificate(contentsOf: fixtures.file("ca.pem"))
        try server.verify(trustAnchor: authority, requiredUsage: .serverAuth)
        #expect(throws: SecurityError.missingExtendedKeyUsage(
            subject: "CN=aggregator", required: .clientAuth, found: [.serverAuth])) {
            try server.verify(trustAnchor: authority, requiredUsage: .clientAuth)
        }
        #expect(throws: SecurityError.missingExtendedKeyUsage(subject: "CN=site-b", required: .ledgerSigning, found: [])) {
            try bare.verify(trustAnchor: authority, requiredUsage: .ledgerSigning)
        }
    }

    /// The Ed25519 key of a certificate verifies what its private key signed; an EC key is refused.
    @Test func extractsEd25519PublicKey() throws {
        let fixtures = try OpenSSLFixtures()
        defer { fixtures.directory.remove() }
        let ledger = try X509Certificate(contentsOf: try fixtures.issue(
            name: "ledger", commonName: "ledger", keyAlgorithm: "ed25519",
            extensions: ["extendedKeyUsage=\(ExtendedKeyUsage.ledgerSigning.oid)"]))
        #expect(ledger.publicKeyAlgorithm == "ED25519")
        #expect(ledger.extendedKeyUsages == [.ledgerSigning])
        let key = try Ed25519Key(contentsOf: fixtures.file("ledger.key"))
        let publicKey = try Ed25519PublicKey(certificate: ledger)
        #expect(try publicKey == key.publicKey())
        #expect(publicKey.isValidSignature(try key.signature(for: [1, 2, 3]), for: [1, 2, 3]))

        let site = try X509Certificate(contentsOf: try fixtures.issue(name: "site", commonName: "site-a"))
        #expect(throws: SecurityError.wrongKeyType(
            source: "certificate CN=site-a (serial \(site.serialNumber))", found: "EC", expected: "ED25519")) {
            try Ed25519PublicKey(certificate: site)
        }
    }
}
