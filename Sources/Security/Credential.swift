import Foundation

/// A certificate with the private key that was generated for it: what a site bundle or the
/// aggregator's TLS configuration is made of.
public struct Credential: Sendable {
    /// The issued certificate.
    public let certificate: X509Certificate
    /// The certificate's private key, unencrypted PKCS#8 PEM. Never log it.
    public let privateKeyPEM: String

    /// Writes the certificate (mode 0644) and the key (mode 0600) to new files, atomically, key first.
    /// - Throws: `SecurityError.refusingToOverwrite` if either file exists, `SecurityError.fileWriteFailed`.
    public func write(certificateTo certificateURL: URL, privateKeyTo keyURL: URL) throws {
        for url in [certificateURL, keyURL] where FileManager.default.fileExists(atPath: url.path) {
            throw SecurityError.refusingToOverwrite(path: url.path)
        }
        try AtomicFile.write(Array(privateKeyPEM.utf8), to: keyURL, permissions: 0o600, replacing: false)
        try AtomicFile.write(Array(try certificate.pemRepresentation().utf8), to: certificateURL,
                             permissions: 0o644, replacing: false)
    }
}
