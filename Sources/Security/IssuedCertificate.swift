import Foundation

/// One certificate the consortium CA issued, as its index (`index.json`) records it.
public struct IssuedCertificate: Codable, Equatable, Sendable {
    /// What a certificate is for; each kind gets its own extended key usage.
    public enum Kind: String, Codable, Sendable {
        /// A hospital's client certificate (clientAuth), CN = site id.
        case site
        /// The aggregator's TLS certificate (serverAuth).
        case server
        /// The aggregator's ledger key (Tessera ledger signing).
        case ledger
    }

    /// The serial number, as `X509Certificate.serialNumber` writes it.
    public let serialNumber: String
    /// What the certificate is for.
    public let kind: Kind
    /// The subject's common name (the site id for a site).
    public let commonName: String
    /// The start of the validity period.
    public let notBefore: Date
    /// The end of the validity period.
    public let notAfter: Date
    /// The SHA-256 fingerprint of the certificate's DER, in hex.
    public let fingerprint: String
    /// When the certificate was revoked; nil while it is not.
    public internal(set) var revocationDate: Date?

    /// The record of `certificate`, issued as `kind`.
    init(_ certificate: X509Certificate, kind: Kind) {
        serialNumber = certificate.serialNumber
        self.kind = kind
        commonName = certificate.commonName ?? ""
        notBefore = certificate.notBefore
        notAfter = certificate.notAfter
        fingerprint = certificate.fingerprint.hex
        revocationDate = nil
    }
}
