import COpenSSL
import Foundation

extension CertificateAuthority {
    /// The file `writeCRL()` writes.
    public var crlURL: URL { directory.appendingPathComponent("crl.pem") }

    /// Records in the index that the certificate with `serial` is revoked, from now on. Revoking
    /// twice keeps the first date. `tessera ca revoke` then calls `writeCRL()`.
    /// - Parameter serial: hexadecimal in any case, with or without leading zeros.
    /// - Throws: `SecurityError.invalidSerial`, `.unknownSerial` if this CA never issued it, file errors.
    public func revoke(serial: String) throws {
        let canonical = try X509Certificate.canonicalSerial(serial)
        try CertificateIndex.update(in: directory) { index in
            guard let position = index.certificates.firstIndex(where: { $0.serialNumber == canonical }) else {
                throw SecurityError.unknownSerial(
                    value: serial, indexPath: directory.appendingPathComponent("index.json").path)
            }
            if index.certificates[position].revocationDate == nil {
                index.certificates[position].revocationDate = now()
            }
        }
    }

    /// Signs an X.509 v2 CRL of every revoked certificate and writes it to `crl.pem`, replacing the last.
    ///
    /// lastUpdate is now, nextUpdate `crlLifetime` later; it carries a CRL number one above the last
    /// and the CA's authorityKeyIdentifier (RFC 5280 §5.2.1, §5.2.3), so
    /// `openssl crl -verify -CAfile ca.pem` and `openssl verify -crl_check` accept it.
    /// - Returns: the CRL in PEM.
    /// - Throws: `SecurityError.openSSLFailure`, file errors.
    @discardableResult
    public func writeCRL() throws -> String {
        try CertificateIndex.update(in: directory) { index in
            index.crlNumber += 1
            let pem = try signedCRL(number: index.crlNumber, revoked: index.certificates.filter { $0.revocationDate != nil })
            try AtomicFile.write(Array(pem.utf8), to: crlURL, permissions: 0o644, replacing: true)
            return pem
        }
    }

    private func signedCRL(number: Int, revoked: [IssuedCertificate]) throws -> String {
        guard let crl = X509_CRL_new() else {
            throw SecurityError.openSSLFailure(operation: "allocate a CRL", openSSL: .drain())
        }
        defer { X509_CRL_free(crl) }
        let failure = { (step: String) in SecurityError.openSSLFailure(operation: "\(step) of the CRL", openSSL: .drain()) }

        let issued = now()
        let lastUpdate = try ASN1.time(issued)
        defer { ASN1_TIME_free(lastUpdate) }
        let nextUpdate = try ASN1.time(issued + Self.crlLifetime)
        defer { ASN1_TIME_free(nextUpdate) }
        guard X509_CRL_set_version(crl, Int(X509_CRL_VERSION_2)) == 1,
              X509_CRL_set_issuer_name(crl, X509_get_subject_name(certificate.handle.pointer)) == 1,
              X509_CRL_set1_lastUpdate(crl, lastUpdate) == 1,
              X509_CRL_set1_nextUpdate(crl, nextUpdate) == 1
        else { throw failure("set the fields") }

        for record in revoked {
            let serial = try ASN1.integer(serial: record.serialNumber)
            defer { ASN1_INTEGER_free(serial) }
            let date = try ASN1.time(record.revocationDate ?? issued)
            defer { ASN1_TIME_free(date) }
            guard let entry = X509_REVOKED_new() else { throw failure("allocate an entry") }
            guard X509_REVOKED_set_serialNumber(entry, serial) == 1,
                  X509_REVOKED_set_revocationDate(entry, date) == 1,
                  X509_CRL_add0_revoked(crl, entry) == 1  // the CRL owns the entry from here
            else {
                X509_REVOKED_free(entry)
                throw failure("add serial \(record.serialNumber)")
            }
        }
        guard X509_CRL_sort(crl) == 1 else { throw failure("sort the entries") }

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, certificate.handle.pointer, nil, nil, crl, 0)
        guard let authorityKey = X509V3_EXT_nconf_nid(nil, &context, NID_authority_key_identifier, "keyid:always")
        else { throw failure("build the authorityKeyIdentifier") }
        defer { X509_EXTENSION_free(authorityKey) }
        guard let crlNumber = ASN1_INTEGER_new() else { throw failure("allocate the CRL number") }
        defer { ASN1_INTEGER_free(crlNumber) }
        guard X509_CRL_add_ext(crl, authorityKey, -1) == 1,
              ASN1_INTEGER_set(crlNumber, number) == 1,
              X509_CRL_add1_ext_i2d(crl, NID_crl_number, crlNumber, 0, 0) == 1
        else { throw failure("add the extensions") }

        guard X509_CRL_sign(crl, key.pointer, EVP_sha256()) > 0 else { throw failure("sign") }
        return try MemoryBIO.writtenText(operation: "write the CRL as PEM") { PEM_write_bio_X509_CRL($0, crl) == 1 }
    }
}
