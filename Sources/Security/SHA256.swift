import COpenSSL
import Foundation

/// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface: one-shot with `hash(_:)`, or incremental
/// with `update(_:)` and `finalize()` for data that arrives in pieces (files, uploads).
///
/// ```swift
/// let digest = try SHA256.hash(Array("abc".utf8))   // ba7816bf…f20015ad
/// let hasher = try SHA256()
/// try hasher.update(header)
/// try hasher.update(body)
/// let same = try hasher.finalize()
/// ```
///
/// The hasher owns an `EVP_MD_CTX`; it is not `Sendable`, use one per task.
public final class SHA256 {
    private let context: OpaquePointer

    /// A hasher with nothing hashed yet.
    /// - Throws: `SecurityError.openSSLFailure` if OpenSSL cannot provide SHA-256 (no provider loaded).
    public init() throws {
        guard let context = EVP_MD_CTX_new() else {
            throw SecurityError.openSSLFailure(operation: "allocate a digest context", openSSL: .drain())
        }
        self.context = context
        try start()
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// The digest of `bytes` in one call.
    /// - Throws: `SecurityError.openSSLFailure` (see `init()`).
    public static func hash(_ bytes: some DataProtocol) throws -> Digest {
        let hasher = try SHA256()
        try hasher.update(bytes)
        return try hasher.finalize()
    }

    /// Adds `bytes` to the message.
    /// - Throws: `SecurityError.openSSLFailure` if OpenSSL reports a failure.
    public func update(_ bytes: some DataProtocol) throws {
        for region in bytes.regions {
            try region.withUnsafeBytes { buffer in
                guard EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) == 1 else {
                    throw SecurityError.openSSLFailure(operation: "update a SHA-256 digest", openSSL: .drain())
                }
            }
        }
    }

    /// The digest of everything added since the hasher was created or last finalised; the hasher
    /// then starts over with an empty message.
    /// - Throws: `SecurityError.openSSLFailure` if OpenSSL reports a failure.
    public func finalize() throws -> Digest {
        var bytes = [UInt8](repeating: 0, count: Digest.byteCount)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &bytes, &length) == 1, length == Digest.byteCount else {
            throw SecurityError.openSSLFailure(operation: "finish a SHA-256 digest", openSSL: .drain())
        }
        try start()
        return try Digest(bytes: bytes)
    }

    private func start() throws {
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            throw SecurityError.openSSLFailure(operation: "start a SHA-256 digest", openSSL: .drain())
        }
    }
}

extension SHA256 {
    /// A SHA-256 digest: 32 bytes, written as 64 lowercase hexadecimal digits.
    public struct Digest: Hashable, Sendable, CustomStringConvertible {
        /// The length of a SHA-256 digest in bytes.
        public static let byteCount = 32

        /// The 32 digest bytes.
        public let bytes: [UInt8]

        /// A digest from its raw bytes.
        /// - Throws: `SecurityError.invalidLength` unless there are exactly 32 bytes.
        public init(bytes: [UInt8]) throws {
            guard bytes.count == Self.byteCount else {
                throw SecurityError.invalidLength(field: "SHA-256 digest", found: bytes.count, expected: Self.byteCount)
            }
            self.bytes = bytes
        }

        /// A digest from 64 hexadecimal digits (either case), as `hex` writes it.
        /// - Throws: `SecurityError.invalidDigestHex` for any other text.
        public init(hex: String) throws {
            guard let bytes = Hex.decoded(hex), bytes.count == Self.byteCount else {
                throw SecurityError.invalidDigestHex(value: hex)
            }
            self.bytes = bytes
        }

        /// The digest as 64 lowercase hexadecimal digits.
        public var hex: String { Hex.encoded(bytes) }

        /// The same as `hex`.
        public var description: String { hex }
    }
}
