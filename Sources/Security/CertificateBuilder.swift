import COpenSSL
import Foundation

/// The fields of a certificate to be signed by the CA: one X509v3 certificate with a CN-only subject.
struct CertificateBuilder {
    /// The serial number in hexadecimal.
    let serialNumber: String
    let commonName: String
    /// The subject's public key (an `EVP_PKEY`, borrowed).
    let publicKey: OpaquePointer
    let notBefore: Date
    let notAfter: Date

    /// The certificate signed with ECDSA-SHA256 (or the issuer key's own scheme for Ed25519).
    /// - Parameters:
    ///   - issuer: the CA certificate, or nil for a self-signed CA certificate.
    ///   - issuerKey: the issuer's private key.
    ///   - extensions: (NID, value in OpenSSL's x509v3_config syntax), added in order.
    func signed(issuer: X509Certificate?, issuerKey: OpaquePointer, extensions: [(Int32, String)]) throws -> X509Certificate {
        guard let pointer = X509_new() else {
            throw SecurityError.openSSLFailure(operation: "allocate a certificate", openSSL: .drain())
        }
        let handle = OpenSSLHandle.certificate(pointer)  // frees it on every path out
        let failure = { (step: String) in
            SecurityError.openSSLFailure(operation: "\(step) of certificate \(commonName)", openSSL: .drain())
        }

        let serial = try ASN1.integer(serial: serialNumber)
        defer { ASN1_INTEGER_free(serial) }
        let start = try ASN1.time(notBefore)
        defer { ASN1_TIME_free(start) }
        let end = try ASN1.time(notAfter)
        defer { ASN1_TIME_free(end) }
        guard X509_set_version(pointer, Int(X509_VERSION_3)) == 1,
              X509_set_serialNumber(pointer, serial) == 1,
              X509_set1_notBefore(pointer, start) == 1,
              X509_set1_notAfter(pointer, end) == 1,
              X509_set_pubkey(pointer, publicKey) == 1
        else { throw failure("set the fields") }

        guard let subject = X509_get_subject_name(pointer),
              X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1,
              X509_set_issuer_name(pointer, X509_get_subject_name(issuer?.handle.pointer ?? pointer)) == 1
        else { throw failure("set the names") }

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.handle.pointer ?? pointer, pointer, nil, nil, 0)
        for (nid, value) in extensions {
            guard let extensionValue = X509V3_EXT_nconf_nid(nil, &context, nid, value) else {
                throw failure("build extension \(String(cString: OBJ_nid2sn(nid))) = \(value)")
            }
            defer { X509_EXTENSION_free(extensionValue) }
            guard X509_add_ext(pointer, extensionValue, -1) == 1 else { throw failure("add an extension") }
        }

        // Ed25519 keys sign with no separate digest; EC keys with SHA-256.
        let digest = EVP_PKEY_is_a(issuerKey, "ED25519") == 1 ? nil : EVP_sha256()
        guard X509_sign(pointer, issuerKey, digest) > 0 else { throw failure("sign") }
        return try X509Certificate(handle: handle, source: "certificate \(commonName) just issued")
    }
}
