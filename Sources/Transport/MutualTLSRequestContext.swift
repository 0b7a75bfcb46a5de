import Hummingbird
import NIOCore

/// The request context of a server behind `OpenSSLChannel`: Hummingbird's core context plus the
/// site that the TLS handshake verified.
public struct MutualTLSRequestContext: RequestContext {
    /// Hummingbird's per-request storage (logger, path, parameters).
    public var coreContext: CoreRequestContextStorage
    /// The verified client; nil only when the server is not behind `OpenSSLChannel`.
    public let peer: PeerIdentity?

    /// The context of a request on `source.channel`, with the peer recorded at its handshake and
    /// the site id added to the request's logger (`site.id`).
    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        peer = PeerIdentity.of(source.channel)
        if let peer { logger[metadataKey: "site.id"] = "\(peer.siteID)" }
    }
}
