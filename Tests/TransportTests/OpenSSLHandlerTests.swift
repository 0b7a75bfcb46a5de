import Foundation
import Testing
import Transport

/// `openssl s_client`, a TLS client nobody here wrote, against the live server.
@Suite("OpenSSLHandler against openssl s_client")
struct OpenSSLHandlerTests {
    /// A request that makes s_client wait for the server's answer (or its alert) before exiting.
    private static let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

    private static func sClient(port: Int, pki: TestPKI, certificate: String?, extra: [String] = []) async throws
        -> ExternalTool.Output
    {
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", pki.caFile.path,
                         "-verify_return_error", "-alpn", "http/1.1", "-ign_eof"]
        if let certificate {
            arguments += ["-cert", pki.file("\(certificate).pem").path, "-key", pki.file("\(certificate)-key.pem").path]
        }
        return try await ExternalTool.run("/usr/bin/openssl", arguments + extra, input: request)
    }

    @Test("a valid site certificate connects over TLS 1.3 with ALPN http/1.1, and the route sees its site id")
    func acceptsValidClientCertificate() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki) { server in
            let output = try await Self.sClient(port: server.port, pki: pki, certificate: "site-a")
            #expect(output.combined.contains("ALPN protocol: http/1.1"), "\(output.combined)")
            #expect(output.combined.contains("TLSv1.3"), "\(output.combined)")
            #expect(output.combined.contains("HTTP/1.1 200 OK"), "\(output.combined)")
            #expect(output.combined.contains("ok site-a"), "\(output.combined)")
            #expect(server.tlsErrors.isEmpty)
        }
    }

    @Test("no client certificate: the handshake fails with certificate required")
    func refusesMissingClientCertificate() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki) { server in
            let output = try await Self.sClient(port: server.port, pki: pki, certificate: nil)
            #expect(!output.combined.contains("HTTP/1.1 200"), "\(output.combined)")
            #expect(output.combined.contains("certificate required"), "\(output.combined)")
            #expect(server.tlsErrors.count == 1)
            #expect(server.tlsErrors.first?.contains("sent no certificate") == true, "\(server.tlsErrors)")
        }
    }

    @Test("a certificate from another CA with the same name: the handshake fails with unknown CA")
    func refusesForeignCertificate() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki) { server in
            let output = try await Self.sClient(port: server.port, pki: pki, certificate: "foreign-site")
            #expect(!output.combined.contains("HTTP/1.1 200"), "\(output.combined)")
            #expect(output.combined.contains("unknown ca"), "\(output.combined)")
            #expect(server.tlsErrors.count == 1)
            #expect(server.tlsErrors.first?.contains("does not vouch for") == true, "\(server.tlsErrors)")
        }
    }

    @Test("a revoked certificate is refused at the handshake, and revocation applies from the next connection")
    func refusesRevokedCertificate() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let revoked = RevokedList()
        try await TestServer.run(pki: pki, revokedSerials: { revoked.serials }) { server in
            let before = try await Self.sClient(port: server.port, pki: pki, certificate: "site-revoked")
            #expect(before.combined.contains("ok site-revoked"), "\(before.combined)")

            revoked.serials = [pki.revokedSerial]  // as the aggregator's database would, without restart
            let after = try await Self.sClient(port: server.port, pki: pki, certificate: "site-revoked")
            #expect(!after.combined.contains("HTTP/1.1 200"), "\(after.combined)")
            #expect(after.combined.contains("certificate revoked"), "\(after.combined)")
            #expect(server.tlsErrors.count == 1)
            #expect(server.tlsErrors.first?.contains("revoked certificate of site site-revoked") == true, "\(server.tlsErrors)")
        }
    }

    @Test("TLS 1.1 offered by a client willing to use it: the server refuses")
    func refusesTLS11() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki) { server in
            // SECLEVEL=0 lets the client really offer TLS 1.1, so only the server can refuse it.
            let output = try await Self.sClient(port: server.port, pki: pki, certificate: "site-a",
                                                extra: ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
            #expect(output.status != 0)
            #expect(!output.combined.contains("HTTP/1.1 200"), "\(output.combined)")
            #expect(output.combined.contains("protocol version"), "\(output.combined)")
            #expect(server.tlsErrors.count == 1, "\(server.tlsErrors)")
            #expect(server.tlsErrors.first?.contains("unsupported protocol") == true, "\(server.tlsErrors)")
        }
    }

    @Test("TLS 1.2 is refused by default and accepted with ECDHE+AEAD when the policy allows it")
    func tls12OnlyWhenConfigured() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki) { server in
            let output = try await Self.sClient(port: server.port, pki: pki, certificate: "site-a", extra: ["-tls1_2"])
            #expect(!output.combined.contains("HTTP/1.1 200"), "\(output.combined)")
        }
        try await TestServer.run(pki: pki, policy: TLSPolicy(allowsTLS12: true)) { server in
            let output = try await Self.sClient(port: server.port, pki: pki, certificate: "site-a", extra: ["-tls1_2"])
            #expect(output.combined.contains("ok site-a"), "\(output.combined)")
            #expect(output.combined.contains("ECDHE"), "\(output.combined)")
            let weak = try await Self.sClient(port: server.port, pki: pki, certificate: "site-a",
                                              extra: ["-tls1_2", "-cipher", "AES128-SHA:@SECLEVEL=0"])
            #expect(!weak.combined.contains("HTTP/1.1 200"), "\(weak.combined)")
        }
    }

    @Test("a client that stalls in the handshake is cut off at the handshake timeout")
    func cutsOffStalledHandshake() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki, policy: TLSPolicy(handshakeTimeout: .milliseconds(300))) { server in
            // A TCP client that never says hello: the server must close on it.
            let output = try await ExternalTool.run(
                "/usr/bin/python3",
                ["-c", "import socket; s=socket.create_connection(('127.0.0.1', \(server.port))); s.settimeout(20); print(repr(s.recv(1)))"])
            #expect(output.standardOutput.contains("b''"), "\(output.combined)")
            #expect(server.tlsErrors.first?.contains("did not finish the TLS handshake") == true, "\(server.tlsErrors)")
        }
    }
}

/// The revoked serials a test changes while the server runs; the lock is `NSLock`.
final class RevokedList: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Set<String> = []
    var serials: Set<String> {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
