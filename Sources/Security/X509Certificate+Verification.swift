import COpenSSL
import Foundation

extension X509Certificate {
    /// Checks that the certificate was issued by `trustAnchor` (the consortium CA), is valid at
    /// `date`, is not revoked and carries `requiredUsage`, in that order.
    ///
    /// The chain and validity go through OpenSSL's `X509_verify_cert` with `X509_V_FLAG_X509_STRICT`;
    /// revocation and the extended key usage are checked here on the verified certificate, because
    /// Tessera's ledger usage is a private OID OpenSSL has no purpose for. A certificate without an
    /// extendedKeyUsage extension does not pass, although RFC 5280 would let it serve any purpose.
    ///
    /// - Parameters:
    ///   - trustAnchor: the only certificate trusted; the consortium has no intermediates.
    ///   - requiredUsage: `.clientAuth` for a site, `.serverAuth` for the aggregator, `.ledgerSigning`
    ///     for the ledger key.
    ///   - revokedSerials: serial numbers in hexadecimal (any case, leading zeros or not) that are refused.
    ///   - date: the time to check validity at: now for a connection, an entry's time for an audit.
    /// - Throws: `SecurityError.certificateExpired` or `.certificateNotYetValid` (for this certificate
    ///   or the anchor), `.untrustedCertificate` for any other chain failure (another CA, a bad
    ///   signature, a self-signed leaf), `.certificateRevoked`, `.missingExtendedKeyUsage`,
    ///   `.invalidSerial` for a malformed entry in `revokedSerials`.
    public func verify(
        trustAnchor: X509Certificate, requiredUsage: ExtendedKeyUsage,
        revokedSerials: Set<String> = [], at date: Date = Date()
    ) throws {
        try verifyChain(trustAnchor: trustAnchor, at: date)
        let revoked = try Set(revokedSerials.map(Self.canonicalSerial))
        guard !revoked.contains(serialNumber) else {
            throw SecurityError.certificateRevoked(subject: subject, serial: serialNumber)
        }
        guard extendedKeyUsages.contains(requiredUsage) else {
            throw SecurityError.missingExtendedKeyUsage(subject: subject, required: requiredUsage, found: extendedKeyUsages)
        }
    }

    private func verifyChain(trustAnchor: X509Certificate, at date: Date) throws {
        guard let store = X509_STORE_new() else {
            throw SecurityError.openSSLFailure(operation: "create a certificate store", openSSL: .drain())
        }
        defer { X509_STORE_free(store) }
        guard X509_STORE_add_cert(store, trustAnchor.handle.pointer) == 1 else {
            throw SecurityError.openSSLFailure(operation: "add the trust anchor to the store", openSSL: .drain())
        }
        guard let context = X509_STORE_CTX_new() else {
            throw SecurityError.openSSLFailure(operation: "create a verification context", openSSL: .drain())
        }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, handle.pointer, nil) == 1,
              let parameters = X509_STORE_CTX_get0_param(context),
              X509_VERIFY_PARAM_set_flags(parameters, UInt(X509_V_FLAG_X509_STRICT)) == 1
        else {
            throw SecurityError.openSSLFailure(operation: "set up certificate verification", openSSL: .drain())
        }
        X509_VERIFY_PARAM_set_time(parameters, time_t(date.timeIntervalSince1970.rounded(.down)))

        let result = X509_verify_cert(context)
        guard result != 1 else { return }
        guard result == 0 else {
            throw SecurityError.openSSLFailure(operation: "verify certificate \(subject)", openSSL: .drain())
        }
        ERR_clear_error()  // the reason is the context's error code, not the queue
        let code = X509_STORE_CTX_get_error(context)
        // The time checks name the certificate at fault: this one or the anchor.
        let failing = X509_STORE_CTX_get_current_cert(context)
        let culprit = failing.map { X509_cmp($0, trustAnchor.handle.pointer) == 0 } == true ? trustAnchor : self
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            throw SecurityError.certificateExpired(
                subject: culprit.subject, serial: culprit.serialNumber, notAfter: culprit.notAfter)
        case X509_V_ERR_CERT_NOT_YET_VALID:
            throw SecurityError.certificateNotYetValid(
                subject: culprit.subject, serial: culprit.serialNumber, notBefore: culprit.notBefore)
        default:
            throw SecurityError.untrustedCertificate(
                subject: subject, issuer: issuer, reason: String(cString: X509_verify_cert_error_string(Int(code))))
        }
    }
}
