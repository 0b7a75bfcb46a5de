import COpenSSL
import Security

/// One OpenSSL `SSL_CTX` configured by `TLSServerConfiguration`, shared by every connection of a
/// server; `OpenSSLHandler` makes one `SSL` per connection from it.
///
/// `@unchecked Sendable` without a lock: the `SSL_CTX` is fully configured in `init` and never
/// changed afterwards, and OpenSSL allows `SSL_new` on one context from many threads.
public final class OpenSSLServerContext: @unchecked Sendable {
    /// The `SSL_CTX`; valid for the context's lifetime.
    let pointer: OpaquePointer
    /// The policy it was built with (for the handshake timeout).
    public let policy: TLSPolicy
    /// Asked at every handshake whether the client certificate is revoked.
    let revocationCheck: RevocationCheck

    /// Builds the context: certificate and key, the consortium CA as the only trust anchor with
    /// client certificates required, the policy's versions and ciphers, ALPN http/1.1, and no
    /// renegotiation, compression, tickets or session cache.
    /// - Parameters:
    ///   - configuration: the server's certificate, key and trust anchor.
    ///   - revocationCheck: asked at each handshake; a revoked serial is refused with a
    ///     certificate_revoked alert.
    /// - Throws: `TransportError.serverConfigurationInvalid` naming the item OpenSSL refused.
    public init(configuration: TLSServerConfiguration, revocationCheck: RevocationCheck) throws {
        guard let method = TLS_server_method(), let context = SSL_CTX_new(method) else {
            throw Self.invalid("SSL_CTX", "OpenSSL cannot create a TLS server context")
        }
        self.pointer = context
        self.policy = configuration.policy
        self.revocationCheck = revocationCheck
        try configureProtocol(policy: configuration.policy)
        try configureCredentials(configuration)
        try configureVerification(trustAnchor: configuration.trustAnchor)
    }

    deinit {
        SSL_CTX_free(pointer)
    }

    private func configureProtocol(policy: TLSPolicy) throws {
        let minimum = policy.allowsTLS12 ? TLS1_2_VERSION : TLS1_3_VERSION
        guard tessera_SSL_CTX_set_min_proto_version(pointer, minimum) == 1,
              tessera_SSL_CTX_set_max_proto_version(pointer, TLS1_3_VERSION) == 1
        else { throw Self.invalid("protocol versions", "OpenSSL refused the version range") }
        guard SSL_CTX_set_ciphersuites(pointer, TLSPolicy.tls13CipherSuites) == 1 else {
            throw Self.invalid("TLS 1.3 cipher suites", "OpenSSL refused \(TLSPolicy.tls13CipherSuites)")
        }
        guard SSL_CTX_set_cipher_list(pointer, TLSPolicy.tls12Ciphers) == 1 else {
            throw Self.invalid("TLS 1.2 ciphers", "OpenSSL refused \(TLSPolicy.tls12Ciphers)")
        }
        // No session can be resumed: every connection runs the revocation check.
        _ = SSL_CTX_set_options(pointer, tessera_SSL_OP_NO_RENEGOTIATION()
            | tessera_SSL_OP_NO_TICKET() | tessera_SSL_OP_NO_COMPRESSION() | tessera_SSL_OP_CIPHER_SERVER_PREFERENCE())
        _ = tessera_SSL_CTX_set_session_cache_mode(pointer, Int(SSL_SESS_CACHE_OFF))
        guard SSL_CTX_set_num_tickets(pointer, 0) == 1 else {
            throw Self.invalid("session tickets", "OpenSSL refused to disable them")
        }
        SSL_CTX_set_alpn_select_cb(pointer, { _, selected, selectedLength, offered, offeredLength, _ in
            OpenSSLServerContext.selectHTTP1(selected, selectedLength, offered, offeredLength)
        }, nil)
    }

    private func configureCredentials(_ configuration: TLSServerConfiguration) throws {
        guard let leaf = configuration.certificateChain.first else {
            throw Self.invalid("server certificate", "the certificate file holds no certificate")
        }
        let leafPointer = try Self.openSSLCertificate(leaf, item: "server certificate")
        defer { X509_free(leafPointer) }
        guard SSL_CTX_use_certificate(pointer, leafPointer) == 1 else {
            throw Self.invalid("server certificate \(leaf.subject)", "OpenSSL refused it")
        }
        for intermediate in configuration.certificateChain.dropFirst() {
            let certificate = try Self.openSSLCertificate(intermediate, item: "intermediate certificate")
            guard tessera_SSL_CTX_add_extra_chain_cert(pointer, certificate) == 1 else {
                X509_free(certificate)
                throw Self.invalid("intermediate certificate \(intermediate.subject)", "OpenSSL refused it")
            }
        }
        let key: OpaquePointer? = Array(configuration.privateKeyPEM.utf8).withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)  // an encrypted key: refused, never prompted for
        }
        guard let key else { throw Self.invalid("server private key", "not a readable unencrypted PEM private key") }
        defer { EVP_PKEY_free(key) }
        guard SSL_CTX_use_PrivateKey(pointer, key) == 1, SSL_CTX_check_private_key(pointer) == 1 else {
            throw Self.invalid("server private key", "it is not the key of certificate \(leaf.subject)")
        }
    }

    private func configureVerification(trustAnchor: X509Certificate) throws {
        let anchor = try Self.openSSLCertificate(trustAnchor, item: "consortium CA certificate")
        defer { X509_free(anchor) }
        guard let store = SSL_CTX_get_cert_store(pointer),
              X509_STORE_add_cert(store, anchor) == 1,
              X509_STORE_set_flags(store, UInt(X509_V_FLAG_X509_STRICT)) == 1,
              SSL_CTX_add_client_CA(pointer, anchor) == 1
        else { throw Self.invalid("consortium CA certificate \(trustAnchor.subject)", "OpenSSL refused it as trust anchor") }
        SSL_CTX_set_verify(pointer, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) { preverified, storeContext in
            OpenSSLHandler.verifyPeer(preverified: preverified, storeContext: storeContext)
        }
    }

    /// An `X509` of OpenSSL's own from the certificate's DER; the caller frees it.
    private static func openSSLCertificate(_ certificate: X509Certificate, item: String) throws -> OpaquePointer {
        let pointer: OpaquePointer? = certificate.derRepresentation.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let pointer else { throw invalid(item, "OpenSSL cannot decode \(certificate.subject)") }
        return pointer
    }

    private static func invalid(_ item: String, _ reason: String) -> TransportError {
        .serverConfigurationInvalid(item: item, reason: reason, openSSL: .drain())
    }

    /// ALPN: picks "http/1.1" from the client's list, or refuses with no_application_protocol.
    private static func selectHTTP1(
        _ selected: UnsafeMutablePointer<UnsafePointer<UInt8>?>?, _ selectedLength: UnsafeMutablePointer<UInt8>?,
        _ offered: UnsafePointer<UInt8>?, _ offeredLength: UInt32
    ) -> Int32 {
        guard let selected, let selectedLength, let offered else { return SSL_TLSEXT_ERR_ALERT_FATAL }
        let wanted = Array(TLSPolicy.applicationProtocol.utf8)
        let list = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
        var index = 0
        while index < list.count {
            let length = Int(list[index])
            let start = index + 1
            guard start + length <= list.count else { break }
            if length == wanted.count && list[start..<(start + length)].elementsEqual(wanted) {
                selected.pointee = offered + start
                selectedLength.pointee = UInt8(length)
                return SSL_TLSEXT_ERR_OK
            }
            index = start + length
        }
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
}
