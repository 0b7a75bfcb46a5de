import Security

/// How entries link: `hash = SHA-256(previousHash ‖ canonical)`, the first entry's previous hash
/// being 32 zero bytes, and each signature an Ed25519 signature over the 32 bytes of `hash`.
public enum HashChain {
    /// The previous hash of the first entry: 32 zero bytes.
    /// - Throws: never in practice (`SecurityError.invalidLength` guards the digest's length).
    public static func genesisPreviousHash() throws -> SHA256.Digest {
        try SHA256.Digest(bytes: [UInt8](repeating: 0, count: SHA256.Digest.byteCount))
    }

    /// SHA-256 of the previous hash's 32 bytes followed by the canonical bytes.
    /// - Throws: `SecurityError.openSSLFailure` if OpenSSL cannot hash.
    public static func hash(previous: SHA256.Digest, canonical: [UInt8]) throws -> SHA256.Digest {
        let hasher = try SHA256()
        try hasher.update(previous.bytes)
        try hasher.update(canonical)
        return try hasher.finalize()
    }
}
