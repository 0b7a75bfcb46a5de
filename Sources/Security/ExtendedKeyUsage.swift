/// An X.509 extended key usage (RFC 5280 §4.2.1.12), named by its object identifier: what a
/// certificate's key may be used for.
///
/// The consortium CA gives each certificate exactly one: `serverAuth` to the aggregator's TLS
/// certificate, `clientAuth` to sites, and `ledgerSigning` to the aggregator's ledger key only.
public struct ExtendedKeyUsage: Hashable, Sendable, CustomStringConvertible {
    /// The dotted object identifier ("1.3.6.1.5.5.7.3.1").
    public let oid: String

    /// The usage with the given dotted object identifier.
    public init(oid: String) {
        self.oid = oid
    }

    /// TLS server authentication, id-kp-serverAuth (RFC 5280): the aggregator's TLS certificate.
    public static let serverAuth = ExtendedKeyUsage(oid: "1.3.6.1.5.5.7.3.1")

    /// TLS client authentication, id-kp-clientAuth (RFC 5280): a site's certificate.
    public static let clientAuth = ExtendedKeyUsage(oid: "1.3.6.1.5.5.7.3.2")

    /// Signing Tessera's participation ledger, reserved for the aggregator's ledger key.
    ///
    /// Tessera has no registered enterprise number, so the OID sits under the UUID arc 2.25
    /// (ITU-T X.667 / RFC 4122 §3 note): 2.25 followed by the decimal value of the random UUID
    /// d1facab9-ec24-49c1-a39c-74a0dca8e9f1, unique without registration. Fixed for good: auditors'
    /// verifiers (docs/LEDGER.md) match this exact string.
    public static let ledgerSigning = ExtendedKeyUsage(oid: "2.25.279110837110713459072464236569464203761")

    /// The usage's conventional name when it is one of the three above, else its OID.
    public var description: String {
        switch self {
        case .serverAuth: return "serverAuth (\(oid))"
        case .clientAuth: return "clientAuth (\(oid))"
        case .ledgerSigning: return "Tessera ledger signing (\(oid))"
        default: return oid
        }
    }
}
