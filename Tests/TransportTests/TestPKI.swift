import Foundation
@testable import Security  // the CA's clock, to issue an expired certificate

/// A consortium CA, the aggregator's certificate for 127.0.0.1 (and an expired one, and one for
/// another host), site certificates (one of them revoked) and a foreign CA with its own site, as
/// files in a fresh directory.
struct TestPKI {
    let directory: URL
    let authority: CertificateAuthority
    let server: Credential
    /// A server certificate for the wrong host name (not 127.0.0.1).
    let wrongHostServer: Credential
    let revokedSerial: String

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-transport-\(UUID().uuidString)")
        func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
        self.directory = directory
        let authority = try CertificateAuthority.initialise(directory: directory.appendingPathComponent("ca"),
                                                        commonName: "Test Consortium CA")
        let server = try authority.issueServerCertificate(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        try server.write(certificateTo: file("server.pem"), privateKeyTo: file("server-key.pem"))
        let wrongHostServer = try authority.issueServerCertificate(dnsNames: ["aggregator.example"], ipAddresses: [])
        try wrongHostServer.write(certificateTo: file("wrong-host.pem"), privateKeyTo: file("wrong-host-key.pem"))
        // Issued three years ago: its two-year validity has run out.
        var pastAuthority = authority
        pastAuthority.now = { Date() - 3 * 365 * 86_400 }
        try pastAuthority.issueServerCertificate(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
            .write(certificateTo: file("expired-server.pem"), privateKeyTo: file("expired-server-key.pem"))

        try authority.issueSiteCertificate(siteID: "site-a")
            .write(certificateTo: file("site-a.pem"), privateKeyTo: file("site-a-key.pem"))
        let revoked = try authority.issueSiteCertificate(siteID: "site-revoked")
        try revoked.write(certificateTo: file("site-revoked.pem"), privateKeyTo: file("site-revoked-key.pem"))
        let revokedSerial = revoked.certificate.serialNumber

        let foreign = try CertificateAuthority.initialise(directory: directory.appendingPathComponent("foreign-ca"),
                                                          commonName: "Test Consortium CA")
        try foreign.issueSiteCertificate(siteID: "site-a")
            .write(certificateTo: file("foreign-site.pem"), privateKeyTo: file("foreign-site-key.pem"))
        let foreignServer = try foreign.issueServerCertificate(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        try foreignServer.write(certificateTo: file("foreign-server.pem"), privateKeyTo: file("foreign-server-key.pem"))
        self.authority = authority
        self.server = server
        self.wrongHostServer = wrongHostServer
        self.revokedSerial = revokedSerial
    }

    /// The path of `name` in the directory.
    func file(_ name: String) -> URL {
        directory.appendingPathComponent(name)
    }

    /// The consortium CA certificate file.
    var caFile: URL { authority.directory.appendingPathComponent("ca.pem") }

    func remove() {
        try? FileManager.default.removeItem(at: directory)  // best effort: a leftover temp dir is harmless
    }
}
