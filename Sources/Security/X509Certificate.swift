import COpenSSL
import Foundation

/// An X.509 certificate: a site's, the aggregator's, the ledger key's or the consortium CA's.
///
/// Every field is read once, when the certificate is loaded, so a malformed certificate fails at
/// load time with the name of its source and the properties below never fail.
/// Two certificates are equal when their DER encodings are.
public struct X509Certificate: Hashable, Sendable {
    let handle: OpenSSLHandle

    /// The subject in RFC 2253 form, most specific first ("CN=site-a").
    public let subject: String
    /// The subject's common name: the site id for a site certificate; nil when the subject has none.
    public let commonName: String?
    /// The issuer in RFC 2253 form ("CN=Tessera Consortium CA").
    public let issuer: String
    /// The serial number in lowercase hexadecimal, two digits per byte as OpenSSL prints it
    /// ("0a1b…"; `openssl x509 -serial` shows the same digits in upper case).
    public let serialNumber: String
    /// The start of the validity period.
    public let notBefore: Date
    /// The end of the validity period.
    public let notAfter: Date
    /// The certificate's DER encoding.
    public let derRepresentation: [UInt8]
    /// SHA-256 of the DER encoding: how receipts and the ledger name a certificate.
    public let fingerprint: SHA256.Digest
    /// The extended key usages, in the certificate's order; empty when it has no such extension.
    public let extendedKeyUsages: [ExtendedKeyUsage]
    /// Whether basicConstraints says CA:TRUE.
    public let isCertificateAuthority: Bool
    /// OpenSSL's name of the public key's algorithm ("ED25519", "EC", "RSA").
    public let publicKeyAlgorithm: String
    /// The public key as DER SubjectPublicKeyInfo.
    public let publicKeyDER: [UInt8]

    /// The first certificate in PEM text.
    /// - Parameter source: where the text came from, for error messages (a path, "ledger entry 1").
    /// - Throws: `SecurityError.invalidPEM` if there is none or it cannot be decoded.
    public init(pem: String, source: String) throws {
        guard let first = try Self.chain(pem: pem, source: source).first else {
            throw SecurityError.invalidPEM(source: source, expected: "certificate", openSSL: .drain())
        }
        self = first
    }

    /// The certificate in DER bytes; the bytes must hold exactly one certificate.
    /// - Throws: `SecurityError.invalidDER` if they do not.
    public init(der: [UInt8], source: String) throws {
        let certificate: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            guard let count = Int(exactly: buffer.count), let certificate = d2i_X509(nil, &cursor, count) else {
                return nil
            }
            guard cursor == buffer.baseAddress.map({ $0 + buffer.count }) else {
                X509_free(certificate)  // trailing bytes: not one certificate
                return nil
            }
            return certificate
        }
        guard let certificate else {
            throw SecurityError.invalidDER(source: source, expected: "certificate", openSSL: .drain())
        }
        try self.init(handle: .certificate(certificate), source: source)
    }

    /// The certificate in the file at `url`, PEM (the first one) or DER.
    /// - Throws: `SecurityError.fileUnreadable`, or the errors of `init(pem:source:)`/`init(der:source:)`.
    public init(contentsOf url: URL) throws {
        let bytes = try AtomicFile.read(url)
        if Self.looksLikePEM(bytes) {
            try self.init(pem: String(decoding: bytes, as: UTF8.self), source: url.path)
        } else {
            try self.init(der: bytes, source: url.path)
        }
    }

    /// All certificates in PEM text, in order (a certificate followed by its issuers, or a bundle).
    /// - Throws: `SecurityError.invalidPEM` if there is none or one cannot be decoded.
    public static func chain(pem: String, source: String) throws -> [X509Certificate] {
        try MemoryBIO.reading(Array(pem.utf8)) { bio in
            var certificates: [X509Certificate] = []
            while true {
                guard let certificate = PEM_read_bio_X509(bio, nil, nil, nil) else {
                    // The reader ends a bundle the way it rejects garbage: "no start line".
                    let endOfBundle = ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE
                    guard endOfBundle, !certificates.isEmpty else {
                        throw SecurityError.invalidPEM(source: source, expected: "certificate", openSSL: .drain())
                    }
                    ERR_clear_error()
                    return certificates
                }
                certificates.append(try X509Certificate(handle: .certificate(certificate), source: source))
            }
        }
    }

    /// Reads every field of the certificate that `handle` owns.
    init(handle: OpenSSLHandle, source: String) throws {
        let certificate = handle.pointer
        let invalid = { (field: String) in
            SecurityError.invalidDER(source: source, expected: "certificate with a readable \(field)", openSSL: .drain())
        }
        let flags = X509_get_extension_flags(certificate)
        guard flags & UInt32(EXFLAG_INVALID) == 0 else { throw invalid("set of extensions") }
        guard let subjectName = X509_get_subject_name(certificate),
              let issuerName = X509_get_issuer_name(certificate)
        else { throw invalid("subject and issuer") }
        guard let serialNumber = Self.hex(of: X509_get0_serialNumber(certificate)) else { throw invalid("serial number") }
        guard let notBefore = Self.date(of: X509_get0_notBefore(certificate)),
              let notAfter = Self.date(of: X509_get0_notAfter(certificate))
        else { throw invalid("validity") }
        guard let key = X509_get0_pubkey(certificate),
              let publicKeyDER = Self.derBytes(of: key, encoder: i2d_PUBKEY)
        else { throw invalid("public key") }
        guard let derRepresentation = Self.derBytes(of: certificate, encoder: i2d_X509) else {
            throw invalid("DER encoding")
        }
        guard let usages = Self.extendedKeyUsages(of: certificate) else { throw invalid("extendedKeyUsage") }

        self.handle = handle
        self.subject = try Self.text(of: subjectName)
        self.commonName = Self.commonName(of: subjectName)
        self.issuer = try Self.text(of: issuerName)
        self.serialNumber = serialNumber
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.derRepresentation = derRepresentation
        self.fingerprint = try SHA256.hash(derRepresentation)
        self.extendedKeyUsages = usages
        self.isCertificateAuthority = flags & UInt32(EXFLAG_CA) != 0
        self.publicKeyAlgorithm = OpenSSLHandle.typeName(ofKey: key)
        self.publicKeyDER = publicKeyDER
    }

    /// The certificate as PEM ("BEGIN CERTIFICATE").
    /// - Throws: `SecurityError.openSSLFailure` if OpenSSL cannot encode it.
    public func pemRepresentation() throws -> String {
        try MemoryBIO.writtenText(operation: "write a certificate as PEM") { PEM_write_bio_X509($0, handle.pointer) == 1 }
    }

    /// Certificates are equal when their DER encodings are.
    public static func == (lhs: X509Certificate, rhs: X509Certificate) -> Bool {
        lhs.derRepresentation == rhs.derRepresentation
    }

    /// Hashes the DER encoding.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(derRepresentation)
    }

    /// `text` in the canonical serial form (`serialNumber`'s), so "0A", "a" and "000a" all match.
    /// - Throws: `SecurityError.invalidSerial` unless it is hexadecimal digits of a number of at most
    ///   20 bytes (RFC 5280 §4.1.2.2).
    public static func canonicalSerial(_ text: String) throws -> String {
        let isHex = !text.isEmpty && text.unicodeScalars.allSatisfy { $0.isASCII && Character($0).isHexDigit }
        let significant = text.drop { $0 == "0" }
        guard isHex, significant.count <= 40 else { throw SecurityError.invalidSerial(value: text) }
        var number: OpaquePointer?
        guard BN_hex2bn(&number, text) == Int32(text.utf8.count), let number else {
            throw SecurityError.openSSLFailure(operation: "parse serial number \(text)", openSSL: .drain())
        }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else {
            throw SecurityError.openSSLFailure(operation: "print a serial number", openSSL: .drain())
        }
        defer { tessera_OPENSSL_free(hex) }
        return String(cString: hex).lowercased()
    }

    private static func looksLikePEM(_ bytes: [UInt8]) -> Bool {
        let start = bytes.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }
        return start.starts(with: "-----BEGIN".utf8)
    }

    /// A name in RFC 2253 form.
    private static func text(of name: OpaquePointer) throws -> String {
        try MemoryBIO.writtenText(operation: "print a distinguished name") { bio in
            X509_NAME_print_ex(bio, name, 0, tessera_XN_FLAG_RFC2253()) >= 0
        }
    }

    private static func commonName(of name: OpaquePointer) -> String? {
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
              let value = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let count = ASN1_STRING_to_UTF8(&utf8, value)
        guard count >= 0, let utf8 else { return nil }
        defer { tessera_OPENSSL_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(count)), as: UTF8.self)
    }

    static func hex(of integer: UnsafePointer<ASN1_INTEGER>?) -> String? {
        guard let integer, let number = ASN1_INTEGER_to_BN(integer, nil) else { return nil }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return nil }
        defer { tessera_OPENSSL_free(hex) }
        return String(cString: hex).lowercased()
    }

    private static func date(of time: UnsafePointer<ASN1_TIME>?) -> Date? {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    /// The DER encoding from a two-pass `i2d_*` encoder (length first, then bytes).
    static func derBytes(
        of object: OpaquePointer, encoder: (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32
    ) -> [UInt8]? {
        let count = encoder(object, nil)
        guard count > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(count))
        let written = bytes.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return encoder(object, &cursor)
        }
        return written == count ? bytes : nil
    }

    /// The extended key usages; nil when the extension is present but unreadable.
    private static func extendedKeyUsages(of certificate: OpaquePointer) -> [ExtendedKeyUsage]? {
        var critical: Int32 = 0
        guard let raw = X509_get_ext_d2i(certificate, NID_ext_key_usage, &critical, nil) else {
            return critical == -1 ? [] : nil  // -1: absent; otherwise present but malformed or repeated
        }
        let stack = OpaquePointer(raw)
        defer { EXTENDED_KEY_USAGE_free(stack) }
        var usages: [ExtendedKeyUsage] = []
        for index in 0..<OPENSSL_sk_num(stack) {
            guard let object = OPENSSL_sk_value(stack, index) else { return nil }
            var buffer = [CChar](repeating: 0, count: 256)
            let length = OBJ_obj2txt(&buffer, Int32(buffer.count), OpaquePointer(object), 1)
            guard length > 0, Int(length) < buffer.count else { return nil }
            usages.append(ExtendedKeyUsage(oid: String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        return usages
    }
}
