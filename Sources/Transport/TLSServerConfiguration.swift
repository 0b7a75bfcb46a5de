import Foundation
import Security

/// The aggregator's TLS material: its certificate and key, the consortium CA that client
/// certificates must chain to, and the policy.
public struct TLSServerConfiguration: Sendable {
    /// The server certificate first, then any intermediates (the consortium has none today).
    public var certificateChain: [X509Certificate]
    /// The server certificate's private key, PEM. Never log it.
    public var privateKeyPEM: String
    /// The consortium CA: the only anchor client certificates are verified against.
    public var trustAnchor: X509Certificate
    /// Versions, ciphers and timeouts.
    public var policy: TLSPolicy

    /// A configuration from values already loaded.
    public init(certificateChain: [X509Certificate], privateKeyPEM: String, trustAnchor: X509Certificate,
                policy: TLSPolicy = TLSPolicy()) {
        self.certificateChain = certificateChain
        self.privateKeyPEM = privateKeyPEM
        self.trustAnchor = trustAnchor
        self.policy = policy
    }

    /// A configuration from PEM files (what `tessera ca issue-server` writes, and the CA's `ca.pem`).
    /// - Throws: `SecurityError.fileUnreadable`/`.invalidPEM` for an unreadable certificate file,
    ///   `TransportError.serverConfigurationInvalid` for an unreadable key file.
    public init(certificateFile: URL, privateKeyFile: URL, trustAnchorFile: URL, policy: TLSPolicy = TLSPolicy()) throws {
        let chainText = try Self.text(of: certificateFile)
        self.certificateChain = try X509Certificate.chain(pem: chainText, source: certificateFile.path)
        self.privateKeyPEM = try Self.text(of: privateKeyFile)
        self.trustAnchor = try X509Certificate(contentsOf: trustAnchorFile)
        self.policy = policy
    }

    private static func text(of url: URL) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw TransportError.serverConfigurationInvalid(
                item: url.path, reason: "cannot read (\(error.localizedDescription))", openSSL: OpenSSLErrorStack())
        }
    }
}
