/// Asks the aggregator whether a client certificate is revoked; called at every handshake.
///
/// The aggregator builds it over its database, so a site revoked there is refused from its next
/// connection on, with no restart and no polling delay. The check runs on the connection's event
/// loop after OpenSSL has verified the chain, once per connection: keep it to an indexed lookup.
/// A check that throws refuses the connection (fail closed).
///
/// ```swift
/// let check = RevocationCheck { serial in try store.isRevoked(serialNumber: serial) }
/// ```
public struct RevocationCheck: Sendable {
    /// Whether the certificate with this serial (lowercase hex, as `X509Certificate.serialNumber`) is revoked.
    public let isRevoked: @Sendable (_ serialNumber: String) throws -> Bool

    /// A check backed by `isRevoked`.
    public init(_ isRevoked: @escaping @Sendable (_ serialNumber: String) throws -> Bool) {
        self.isRevoked = isRevoked
    }

    /// A fixed set of revoked serials (any case, with or without leading zeros), for tests and tools.
    public static func serials(_ revoked: Set<String>) -> RevocationCheck {
        let canonical = Set(revoked.map(Self.canonical))
        return RevocationCheck { canonical.contains(Self.canonical($0)) }
    }

    private static func canonical(_ serial: String) -> String {
        let digits = serial.lowercased().drop { $0 == "0" }
        return digits.isEmpty ? "0" : String(digits)
    }
}
