import COpenSSL
import Foundation

/// Generating, reading and writing `EVP_PKEY`s: shared by `Ed25519Key`, `Ed25519PublicKey` and the CA.
extension OpenSSLHandle {
    /// A new key pair.
    /// - Parameters:
    ///   - algorithm: OpenSSL's name, "ED25519" or "EC".
    ///   - curve: the group for "EC" ("P-256"); nil otherwise.
    static func generateKey(algorithm: String, curve: String? = nil) throws -> OpenSSLHandle {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, algorithm, nil) else {
            throw SecurityError.openSSLFailure(operation: "create a \(algorithm) key context", openSSL: .drain())
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else {
            throw SecurityError.openSSLFailure(operation: "start \(algorithm) key generation", openSSL: .drain())
        }
        if let curve, EVP_PKEY_CTX_set_group_name(context, curve) != 1 {
            throw SecurityError.openSSLFailure(operation: "select curve \(curve)", openSSL: .drain())
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else {
            throw SecurityError.openSSLFailure(operation: "generate a \(algorithm) key", openSSL: .drain())
        }
        return .key(key)
    }

    /// An Ed25519 key from its raw 32 bytes (RFC 8032 §5.1.5): the secret seed or the public point.
    /// - Throws: `SecurityError.invalidLength` unless there are 32 bytes.
    static func ed25519Key(raw bytes: [UInt8], isPrivate: Bool) throws -> OpenSSLHandle {
        let field = isPrivate ? "Ed25519 private key" : "Ed25519 public key"
        guard bytes.count == Ed25519Key.rawByteCount else {
            throw SecurityError.invalidLength(field: field, found: bytes.count, expected: Ed25519Key.rawByteCount)
        }
        let key = isPrivate
            ? EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, bytes, bytes.count)
            : EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, bytes, bytes.count)
        guard let key else {
            throw SecurityError.openSSLFailure(operation: "load a raw \(field)", openSSL: .drain())
        }
        return .key(key)
    }

    /// The raw 32-byte public point of an Ed25519 key (private or public).
    func rawEd25519PublicKey() throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Ed25519Key.rawByteCount)
        var length = bytes.count
        guard EVP_PKEY_get_raw_public_key(pointer, &bytes, &length) == 1, length == bytes.count else {
            throw SecurityError.openSSLFailure(operation: "extract an Ed25519 public key", openSSL: .drain())
        }
        return bytes
    }

    /// The private key in PEM text (PKCS#8 or a traditional form). An encrypted key is refused:
    /// the pass-phrase callback declines at once, where OpenSSL's default would prompt on the terminal.
    static func readPrivateKey(pem: String, source: String) throws -> OpenSSLHandle {
        try MemoryBIO.reading(Array(pem.utf8)) { bio in
            guard let key = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) else {
                throw SecurityError.invalidPEM(source: source, expected: "private key", openSSL: .drain())
            }
            return .key(key)
        }
    }

    /// The public key in PEM text (SubjectPublicKeyInfo, "BEGIN PUBLIC KEY").
    static func readPublicKey(pem: String, source: String) throws -> OpenSSLHandle {
        try MemoryBIO.reading(Array(pem.utf8)) { bio in
            guard let key = PEM_read_bio_PUBKEY(bio, nil, nil, nil) else {
                throw SecurityError.invalidPEM(source: source, expected: "public key", openSSL: .drain())
            }
            return .key(key)
        }
    }

    /// OpenSSL's name of the key's algorithm ("ED25519", "EC", "RSA").
    var keyTypeName: String {
        Self.typeName(ofKey: pointer)
    }

    /// OpenSSL's name of an `EVP_PKEY`'s algorithm.
    static func typeName(ofKey key: OpaquePointer) -> String {
        guard let name = EVP_PKEY_get0_type_name(key) else { return "unknown" }
        return String(cString: name)
    }

    /// Throws `SecurityError.wrongKeyType` unless the key's algorithm is `expected`.
    func requireKeyType(_ expected: String, source: String) throws {
        guard EVP_PKEY_is_a(pointer, expected) == 1 else {
            throw SecurityError.wrongKeyType(source: source, found: keyTypeName, expected: expected)
        }
    }

    /// The private key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
    func privateKeyPEM() throws -> String {
        try MemoryBIO.writtenText(operation: "write a private key as PKCS#8 PEM") { bio in
            PEM_write_bio_PKCS8PrivateKey(bio, pointer, nil, nil, 0, nil, nil) == 1
        }
    }

    /// The public key as SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY").
    func publicKeyPEM() throws -> String {
        try MemoryBIO.writtenText(operation: "write a public key as PEM") { bio in
            PEM_write_bio_PUBKEY(bio, pointer) == 1
        }
    }
}
