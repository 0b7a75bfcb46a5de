import NIOConcurrencyHelpers
import NIOCore
import Security

/// The verified client of a mutual-TLS connection: the site whose certificate chained to the
/// consortium CA and was not revoked at the handshake.
public struct PeerIdentity: Sendable, Equatable {
    /// The site id: the certificate subject's common name.
    public let siteID: String
    /// The certificate's serial number (lowercase hex, as `X509Certificate.serialNumber`).
    public let serialNumber: String
    /// The client certificate itself (for its fingerprint in receipts and ledger entries).
    public let certificate: X509Certificate

    /// The identity `OpenSSLHandler` recorded for `channel` at its handshake; nil before the
    /// handshake completes, after the channel closes, or on a channel without `OpenSSLHandler`.
    public static func of(_ channel: any Channel) -> PeerIdentity? {
        registry.withLockedValue { $0[ObjectIdentifier(channel)] }
    }

    /// Identities by channel. NIO channels carry no user storage, and request contexts are built
    /// off the event loop, so the handler publishes here at handshake and removes at close.
    private static let registry = NIOLockedValueBox<[ObjectIdentifier: PeerIdentity]>([:])

    static func record(_ identity: PeerIdentity, for channel: any Channel) {
        registry.withLockedValue { $0[ObjectIdentifier(channel)] = identity }
    }

    static func forget(_ channel: any Channel) {
        _ = registry.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}
