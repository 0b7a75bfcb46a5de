import COpenSSL
import Foundation

/// A CRL from the consortium CA (`tessera ca revoke` writes `crl.pem`), read and checked: its
/// issuer is the CA and the CA's key signed it. The aggregator imports its serials.
public struct CertificateRevocationList: Sendable, Equatable {
    /// The revoked certificates' serial numbers, canonical lowercase hex (as `X509Certificate.serialNumber`).
    public let revokedSerials: [String]

    /// Reads a PEM CRL and checks it against `issuer`.
    /// - Parameter source: the CRL's name in errors (its path).
    /// - Throws: `SecurityError.invalidPEM` for text that is not a CRL, `.untrustedCertificate`
    ///   when `issuer` did not issue or sign it.
    public init(pem: String, source: String, issuer: X509Certificate) throws {
        let crl = try MemoryBIO.reading(Array(pem.utf8)) { bio -> OpaquePointer in
            guard let crl = PEM_read_bio_X509_CRL(bio, nil, nil, nil) else {
                throw SecurityError.invalidPEM(source: source, expected: "X509 CRL", openSSL: .drain())
            }
            return crl
        }
        defer { X509_CRL_free(crl) }
        guard X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer.handle.pointer)) == 0 else {
            throw SecurityError.untrustedCertificate(subject: "CRL \(source)", issuer: issuer.subject, reason: "the CRL was issued by another CA")
        }
        guard let key = X509_get0_pubkey(issuer.handle.pointer), X509_CRL_verify(crl, key) == 1 else {
            _ = OpenSSLErrorStack.drain()
            throw SecurityError.untrustedCertificate(subject: "CRL \(source)", issuer: issuer.subject, reason: "the CA's key did not sign this CRL")
        }
        var serials: [String] = []
        if let revoked = X509_CRL_get_REVOKED(crl) {
            for index in 0..<tessera_sk_X509_REVOKED_num(revoked) {
                guard let entry = tessera_sk_X509_REVOKED_value(revoked, index),
                      let serial = X509Certificate.hex(of: X509_REVOKED_get0_serialNumber(entry)) else { continue }
                serials.append(try X509Certificate.canonicalSerial(serial))
            }
        }
        revokedSerials = serials.sorted()
    }
}
