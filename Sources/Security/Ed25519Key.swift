import COpenSSL
import Foundation

/// An Ed25519 private key (RFC 8032, "PureEdDSA"): the aggregator's ledger key signs ledger hashes
/// and receipts with it.
///
/// Keys are stored as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), the form
/// `openssl genpkey -algorithm ed25519` writes, in files of mode 0600.
public struct Ed25519Key: Sendable {
    /// The length of a raw private key (the RFC 8032 secret seed) and of a raw public key.
    public static let rawByteCount = 32
    /// The length of a signature.
    public static let signatureByteCount = 64

    let handle: OpenSSLHandle

    private init(handle: OpenSSLHandle) {
        self.handle = handle
    }

    /// A new random key from OpenSSL's CSPRNG.
    /// - Throws: `SecurityError.openSSLFailure` if generation fails.
    public static func generate() throws -> Ed25519Key {
        Ed25519Key(handle: try .generateKey(algorithm: "ED25519"))
    }

    /// The key whose 32-byte secret seed is `rawRepresentation` (RFC 8032 §5.1.5's "secret key").
    /// - Throws: `SecurityError.invalidLength` unless there are 32 bytes.
    public init(rawRepresentation: [UInt8]) throws {
        handle = try .ed25519Key(raw: rawRepresentation, isPrivate: true)
    }

    /// The key in PKCS#8 PEM text.
    /// - Parameter source: where the text came from, for error messages (a path, "ledger key").
    /// - Throws: `SecurityError.invalidPEM` if there is no readable private key,
    ///   `SecurityError.wrongKeyType` if it is not Ed25519.
    public init(pem: String, source: String) throws {
        let handle = try OpenSSLHandle.readPrivateKey(pem: pem, source: source)
        try handle.requireKeyType("ED25519", source: source)
        self.handle = handle
    }

    /// The key in the PKCS#8 PEM file at `url`.
    /// - Throws: `SecurityError.fileUnreadable`, and the errors of `init(pem:source:)` naming the file.
    public init(contentsOf url: URL) throws {
        try self.init(pem: String(decoding: try AtomicFile.read(url), as: UTF8.self), source: url.path)
    }

    /// The key as unencrypted PKCS#8 PEM.
    /// - Throws: `SecurityError.openSSLFailure` if OpenSSL cannot encode it.
    public func pemRepresentation() throws -> String {
        try handle.privateKeyPEM()
    }

    /// Writes the key as PKCS#8 PEM to a new file of mode 0600, atomically.
    /// - Throws: `SecurityError.refusingToOverwrite` if the file exists, `SecurityError.fileWriteFailed`.
    public func write(to url: URL) throws {
        try AtomicFile.write(Array(try pemRepresentation().utf8), to: url, permissions: 0o600, replacing: false)
    }

    /// The matching public key.
    /// - Throws: `SecurityError.openSSLFailure` if OpenSSL cannot extract it.
    public func publicKey() throws -> Ed25519PublicKey {
        try Ed25519PublicKey(rawRepresentation: try handle.rawEd25519PublicKey())
    }

    /// The 64-byte Ed25519 signature of `message` (deterministic: the same key and message always
    /// give the same signature).
    /// - Throws: `SecurityError.openSSLFailure` if signing fails.
    public func signature(for message: some DataProtocol) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else {
            throw SecurityError.openSSLFailure(operation: "allocate a signing context", openSSL: .drain())
        }
        defer { EVP_MD_CTX_free(context) }
        // Ed25519 takes no separate digest (nil): it hashes the message itself with SHA-512.
        guard EVP_DigestSignInit(context, nil, nil, nil, handle.pointer) == 1 else {
            throw SecurityError.openSSLFailure(operation: "start an Ed25519 signature", openSSL: .drain())
        }
        let bytes = Array(message)
        var signature = [UInt8](repeating: 0, count: Self.signatureByteCount)
        var length = signature.count
        guard EVP_DigestSign(context, &signature, &length, bytes, bytes.count) == 1,
              length == Self.signatureByteCount
        else {
            throw SecurityError.openSSLFailure(operation: "sign with Ed25519", openSSL: .drain())
        }
        return signature
    }
}
