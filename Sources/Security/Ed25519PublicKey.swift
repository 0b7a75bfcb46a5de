import COpenSSL
import Foundation

/// An Ed25519 public key (RFC 8032) that checks signatures: an auditor's view of the ledger key,
/// taken from the ledger's certificate.
public struct Ed25519PublicKey: Hashable, Sendable {
    /// The 32-byte encoded point (RFC 8032 §5.1.5).
    public let rawRepresentation: [UInt8]
    let handle: OpenSSLHandle

    /// The key whose raw 32-byte encoding is `rawRepresentation`.
    /// - Throws: `SecurityError.invalidLength` unless there are 32 bytes, `SecurityError.openSSLFailure`
    ///   if OpenSSL refuses the bytes.
    public init(rawRepresentation: [UInt8]) throws {
        handle = try .ed25519Key(raw: rawRepresentation, isPrivate: false)
        self.rawRepresentation = rawRepresentation
    }

    /// The key in SubjectPublicKeyInfo PEM text ("BEGIN PUBLIC KEY").
    /// - Throws: `SecurityError.invalidPEM`, or `SecurityError.wrongKeyType` if it is not Ed25519.
    public init(pem: String, source: String) throws {
        try self.init(handle: try OpenSSLHandle.readPublicKey(pem: pem, source: source), source: source)
    }

    /// The key a certificate certifies (the ledger certificate's).
    /// - Throws: `SecurityError.wrongKeyType` if the certificate's key is not Ed25519.
    public init(certificate: X509Certificate) throws {
        guard let key = X509_get0_pubkey(certificate.handle.pointer), EVP_PKEY_up_ref(key) == 1 else {
            throw SecurityError.openSSLFailure(operation: "read a certificate's public key", openSSL: .drain())
        }
        try self.init(handle: .key(key), source: "certificate \(certificate.subject) (serial \(certificate.serialNumber))")
    }

    private init(handle: OpenSSLHandle, source: String) throws {
        try handle.requireKeyType("ED25519", source: source)
        self.rawRepresentation = try handle.rawEd25519PublicKey()
        self.handle = handle
    }

    /// The key as SubjectPublicKeyInfo PEM.
    /// - Throws: `SecurityError.openSSLFailure` if OpenSSL cannot encode it.
    public func pemRepresentation() throws -> String {
        try handle.publicKeyPEM()
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    ///
    /// False for a wrong signature, a signature of the wrong length, or any failure inside OpenSSL:
    /// a check that cannot run does not pass.
    public func isValidSignature(_ signature: [UInt8], for message: some DataProtocol) -> Bool {
        defer { ERR_clear_error() }  // a failed check leaves entries nobody will read
        guard signature.count == Ed25519Key.signatureByteCount, let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, handle.pointer) == 1 else { return false }
        let bytes = Array(message)
        return EVP_DigestVerify(context, signature, signature.count, bytes, bytes.count) == 1
    }

    /// Keys are equal when their raw encodings are.
    public static func == (lhs: Ed25519PublicKey, rhs: Ed25519PublicKey) -> Bool {
        lhs.rawRepresentation == rhs.rawRepresentation
    }

    /// Hashes the raw encoding.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawRepresentation)
    }
}
