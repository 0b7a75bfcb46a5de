import Foundation
import Security

/// Everything that can go wrong between a site and the aggregator, on either side, with the
/// address, file or value involved and a description that says what to fix.
///
/// Server-side cases (`handshake…`, `clientCertificate…`, `serverConfiguration…`) are what the
/// aggregator logs when it refuses a connection; client-side cases are what a site's IT sees when
/// the site agent cannot reach the aggregator.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    // MARK: Server configuration
    /// The aggregator's TLS settings could not be applied; `item` names the file or setting.
    case serverConfigurationInvalid(item: String, reason: String, openSSL: OpenSSLErrorStack)

    // MARK: Server handshakes
    /// The client sent no certificate; every site must present the one in its bundle.
    case clientCertificateMissing(peer: String)
    /// The client's certificate does not chain to the consortium CA (or is expired, or not for clientAuth).
    case clientCertificateRejected(peer: String, reason: String)
    /// The client's certificate is on the aggregator's revocation list.
    case clientCertificateRevoked(peer: String, siteID: String, serial: String)
    /// The revocation check itself failed, so the connection was refused (fail closed).
    case revocationCheckFailed(peer: String, serial: String, reason: String)
    /// The handshake failed for another reason (protocol version, cipher, ALPN, malformed data).
    case handshakeFailed(peer: String, openSSL: OpenSSLErrorStack)
    /// The client did not finish the handshake in time.
    case handshakeTimedOut(peer: String, seconds: Double)
    /// The client closed the connection before the handshake finished.
    case closedDuringHandshake(peer: String)
    /// Reading or writing TLS records failed after the handshake.
    case recordFailed(peer: String, openSSL: OpenSSLErrorStack)

    // MARK: Client
    /// The site's own TLS files or settings are unusable; `item` names the file or setting.
    case clientConfigurationInvalid(item: String, reason: String)
    /// The aggregator's host name does not resolve.
    case dnsResolutionFailed(host: String, detail: String)
    /// The proxy's host name does not resolve.
    case proxyResolutionFailed(proxy: String, detail: String)
    /// The proxy refused the connection or the CONNECT request.
    case proxyRefused(proxy: String, detail: String)
    /// No TCP connection could be made to the aggregator.
    case connectionFailed(url: String, detail: String)
    /// The aggregator's certificate has expired (or this machine's clock is wrong).
    case serverCertificateExpired(url: String, detail: String)
    /// The aggregator's certificate was not issued by the consortium CA in the site bundle.
    case serverCertificateUntrusted(url: String, detail: String)
    /// The aggregator's certificate does not name the host in the aggregator URL.
    case serverNameMismatch(url: String, detail: String)
    /// The aggregator refused this site's certificate (revoked, expired, from another CA) or the
    /// TLS handshake failed for another reason.
    case tlsHandshakeRejected(url: String, detail: String)
    /// The request did not complete within the timeout.
    case timedOut(url: String, seconds: Double, detail: String)
    /// The aggregator answered with an HTTP error; `code` and `message` come from its JSON error body.
    case httpStatus(url: String, status: Int, code: String?, message: String?)
    /// A local file to upload or to download into could not be read or written.
    case fileFailed(path: String, reason: String)
    /// The connection broke while sending or receiving.
    case transferFailed(url: String, detail: String)
    /// libcurl failed for a reason with no more specific case.
    case curlFailure(url: String, code: Int, detail: String)

    /// A sentence hospital IT or the consortium operator can act on.
    public var description: String {
        switch self {
        case let .serverConfigurationInvalid(item, reason, openSSL):
            return "TLS server configuration: \(item): \(reason) (\(openSSL))"
        case let .clientCertificateMissing(peer):
            return "client \(peer) sent no certificate; a site must connect with the certificate and key from its bundle"
        case let .clientCertificateRejected(peer, reason):
            return "client \(peer) presented a certificate the consortium CA does not vouch for: \(reason)"
        case let .clientCertificateRevoked(peer, siteID, serial):
            return "client \(peer) presented the revoked certificate of site \(siteID) (serial \(serial)); the site needs a new certificate"
        case let .revocationCheckFailed(peer, serial, reason):
            return "client \(peer) refused: could not check whether serial \(serial) is revoked (\(reason))"
        case let .handshakeFailed(peer, openSSL):
            return "TLS handshake with \(peer) failed (\(openSSL)); the client needs TLS 1.3 and the consortium's certificates"
        case let .handshakeTimedOut(peer, seconds):
            return "client \(peer) did not finish the TLS handshake within \(seconds) s; connection closed"
        case let .closedDuringHandshake(peer):
            return "client \(peer) closed the connection during the TLS handshake (it probably rejected the server's certificate)"
        case let .recordFailed(peer, openSSL):
            return "TLS connection with \(peer) failed after the handshake (\(openSSL))"
        case let .clientConfigurationInvalid(item, reason):
            return "site TLS configuration: \(item): \(reason)"
        case let .dnsResolutionFailed(host, detail):
            return "cannot resolve the aggregator's host name \(host) (\(detail)); check the aggregator URL and this machine's DNS"
        case let .proxyResolutionFailed(proxy, detail):
            return "cannot resolve the proxy \(proxy) (\(detail)); check HTTPS_PROXY or the configured proxy"
        case let .proxyRefused(proxy, detail):
            return "the proxy \(proxy) refused the connection (\(detail)); ask network IT to allow CONNECT to the aggregator's host and port"
        case let .connectionFailed(url, detail):
            return "cannot connect to \(url) (\(detail)); check that outbound HTTPS to the aggregator is allowed, or set HTTPS_PROXY"
        case let .serverCertificateExpired(url, detail):
            return "the aggregator's certificate at \(url) has expired or is not yet valid (\(detail)); check this machine's clock, then tell the consortium operator"
        case let .serverCertificateUntrusted(url, detail):
            return "the server at \(url) presented a certificate not issued by the consortium CA (\(detail)); check the aggregator URL and the ca.pem in the site bundle, and whether a proxy inspects TLS"
        case let .serverNameMismatch(url, detail):
            return "the certificate of the server at \(url) does not name that host (\(detail)); use the host name the consortium operator gave"
        case let .tlsHandshakeRejected(url, detail):
            return "the TLS handshake with \(url) failed (\(detail)); the site certificate may be revoked or expired: ask the consortium operator"
        case let .timedOut(url, seconds, detail):
            return "no complete answer from \(url) within \(seconds) s (\(detail)); check the network path and proxy"
        case let .httpStatus(url, status, code, message):
            let body = [code, message].compactMap { $0 }.joined(separator: ": ")
            return "\(url) answered HTTP \(status)" + (body.isEmpty ? "" : ": \(body)")
        case let .fileFailed(path, reason):
            return "\(path): \(reason)"
        case let .transferFailed(url, detail):
            return "the connection to \(url) broke during the transfer (\(detail)); it will be retried"
        case let .curlFailure(url, code, detail):
            return "request to \(url) failed (libcurl error \(code): \(detail))"
        }
    }
}
