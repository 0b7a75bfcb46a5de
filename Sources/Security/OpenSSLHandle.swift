import COpenSSL

/// Owns one long-lived OpenSSL object (an `EVP_PKEY` or an `X509`) and frees it when the last
/// Swift value that holds it goes away.
///
/// `@unchecked Sendable` without a lock: the object is never modified once a Swift value holds it
/// (`X509Certificate` fills OpenSSL's extension cache while loading, before sharing), and OpenSSL 3
/// allows concurrent read-only use of keys and certificates from several threads (openssl-threads(7)).
final class OpenSSLHandle: @unchecked Sendable {
    /// The OpenSSL object; valid for the handle's lifetime.
    let pointer: OpaquePointer
    private let free: (OpaquePointer?) -> Void

    /// Takes ownership of `pointer`, which `free` releases in `deinit`.
    init(_ pointer: OpaquePointer, free: @escaping (OpaquePointer?) -> Void) {
        self.pointer = pointer
        self.free = free
    }

    /// Takes ownership of an `EVP_PKEY`.
    static func key(_ pointer: OpaquePointer) -> OpenSSLHandle {
        OpenSSLHandle(pointer) { EVP_PKEY_free($0) }
    }

    /// Takes ownership of an `X509`.
    static func certificate(_ pointer: OpaquePointer) -> OpenSSLHandle {
        OpenSSLHandle(pointer) { X509_free($0) }
    }

    deinit {
        free(pointer)
    }
}
