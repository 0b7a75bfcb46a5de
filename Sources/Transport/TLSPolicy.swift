import NIOCore

/// What the aggregator's TLS server accepts: protocol versions, cipher suites, the application
/// protocol and how long a handshake may take.
///
/// The default is TLS 1.3 only. TLS 1.2 is accepted only when `allowsTLS12` is set, and then only
/// with ECDHE key exchange and AEAD ciphers (AES-GCM, ChaCha20-Poly1305), so every connection has
/// forward secrecy and authenticated encryption. Renegotiation, compression, session tickets and
/// session resumption are always off: every connection makes a full handshake, so its client
/// certificate is checked against the revocation list each time.
public struct TLSPolicy: Sendable, Equatable {
    /// TLS 1.3 cipher suites, OpenSSL's names: all AEAD.
    public static let tls13CipherSuites = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"
    /// TLS 1.2 ciphers when TLS 1.2 is allowed: ECDHE key exchange with AEAD only.
    public static let tls12Ciphers = [
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
    /// The only application protocol offered through ALPN.
    public static let applicationProtocol = "http/1.1"

    /// Whether TLS 1.2 clients are accepted (default: false, TLS 1.3 only).
    public var allowsTLS12: Bool
    /// How long a client has to complete the handshake before the connection is closed (default: 10 s).
    public var handshakeTimeout: TimeAmount

    /// A policy; the defaults are TLS 1.3 only and a 10-second handshake timeout.
    /// - Parameters:
    ///   - allowsTLS12: accept TLS 1.2 (ECDHE + AEAD only) for sites whose OpenSSL predates 1.1.1.
    ///   - handshakeTimeout: the time a client has to finish the handshake.
    public init(allowsTLS12: Bool = false, handshakeTimeout: TimeAmount = .seconds(10)) {
        self.allowsTLS12 = allowsTLS12
        self.handshakeTimeout = handshakeTimeout
    }
}
