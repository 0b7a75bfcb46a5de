import COpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The consortium's certificate authority, kept in one directory on the operator's machine; the
/// `tessera ca` commands call it.
///
/// The directory holds:
/// | file | content |
/// | --- | --- |
/// | `ca-key.pem` | the CA's ECDSA P-256 private key, PKCS#8 PEM, mode 0600 |
/// | `ca.pem` | the self-signed CA certificate: the trust anchor every site bundle carries |
/// | `index.json` | every certificate issued, with its revocation date once revoked (`list()`) |
/// | `issued/<serial>.pem` | a copy of each issued certificate |
/// | `crl.pem` | the last CRL `writeCRL()` signed |
///
/// Validity: the CA certificate lasts `authorityLifetime` (10 years), issued certificates
/// `leafLifetime` (2 years), CRLs `crlLifetime` (30 days). Every period starts `clockSkewAllowance`
/// (1 hour) before the moment of issue, so a site whose clock is a little behind accepts a fresh
/// certificate. Serial numbers are 128 random bits from `RAND_bytes`, made positive, unique in the index.
/// Each certificate carries exactly one extended key usage: clientAuth (sites), serverAuth (the
/// aggregator) or `ExtendedKeyUsage.ledgerSigning` (the ledger key), so no certificate can act as another kind.
/// Every file is written atomically (temporary file, fsync, rename); keys are never overwritten.
public struct CertificateAuthority: Sendable {
    /// How long the CA certificate is valid: 3650 days.
    public static let authorityLifetime: TimeInterval = 3650 * 86_400
    /// How long issued certificates are valid: 730 days.
    public static let leafLifetime: TimeInterval = 730 * 86_400
    /// How long a CRL is current (its nextUpdate): 30 days; write a new one at least that often.
    public static let crlLifetime: TimeInterval = 30 * 86_400
    /// How far before the moment of issue every validity period starts: 1 hour.
    public static let clockSkewAllowance: TimeInterval = 3600

    /// The CA's directory.
    public let directory: URL
    /// The CA certificate: the trust anchor.
    public let certificate: X509Certificate
    let key: OpenSSLHandle
    /// The clock that dates certificates and CRLs; tests move it to make expired or future certificates.
    var now: @Sendable () -> Date = { Date() }

    /// The CA in `directory`, as `initialise` left it.
    /// - Throws: `SecurityError.fileUnreadable` if `ca.pem` or `ca-key.pem` is missing, the errors of
    ///   reading them, and `SecurityError.authorityKeyMismatch` if the key is not the certificate's.
    public init(directory: URL) throws {
        let certificateURL = directory.appendingPathComponent(Self.certificateFile)
        let keyURL = directory.appendingPathComponent(Self.keyFile)
        let certificate = try X509Certificate(contentsOf: certificateURL)
        let key = try OpenSSLHandle.readPrivateKey(
            pem: String(decoding: try AtomicFile.read(keyURL), as: UTF8.self), source: keyURL.path)
        guard X509_check_private_key(certificate.handle.pointer, key.pointer) == 1 else {
            ERR_clear_error()  // the mismatch is the answer; the queue only repeats it
            throw SecurityError.authorityKeyMismatch(keyPath: keyURL.path, certificatePath: certificateURL.path)
        }
        self.directory = directory
        self.certificate = certificate
        self.key = key
    }

    private init(directory: URL, certificate: X509Certificate, key: OpenSSLHandle) {
        self.directory = directory
        self.certificate = certificate
        self.key = key
    }

    /// Creates a CA in `directory` (created with mode 0700 if missing): a new P-256 key (mode 0600)
    /// and a self-signed certificate with basicConstraints CA:TRUE, pathlen:0 (critical),
    /// keyUsage keyCertSign, cRLSign (critical) and a subjectKeyIdentifier.
    /// - Parameter commonName: the CA's name, 1 to 64 characters ("Tessera Consortium CA").
    /// - Throws: `SecurityError.refusingToOverwrite` if the directory already holds a CA key or
    ///   certificate, `SecurityError.invalidCommonName`, `SecurityError.fileWriteFailed`.
    public static func initialise(directory: URL, commonName: String) throws -> CertificateAuthority {
        guard (1...64).contains(commonName.count) else { throw SecurityError.invalidCommonName(value: commonName) }
        try AtomicFile.createDirectory(directory)
        let keyURL = directory.appendingPathComponent(keyFile)
        let certificateURL = directory.appendingPathComponent(certificateFile)
        for url in [keyURL, certificateURL] where FileManager.default.fileExists(atPath: url.path) {
            throw SecurityError.refusingToOverwrite(path: url.path)
        }
        let key = try OpenSSLHandle.generateKey(algorithm: "EC", curve: "P-256")
        let now = Date()
        let certificate = try CertificateBuilder(
            serialNumber: try randomSerial(), commonName: commonName, publicKey: key.pointer,
            notBefore: now - clockSkewAllowance, notAfter: now + authorityLifetime
        ).signed(issuer: nil, issuerKey: key.pointer, extensions: [
            (NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
            (NID_key_usage, "critical,keyCertSign,cRLSign"),
            (NID_subject_key_identifier, "hash"),
        ])
        try AtomicFile.write(Array(try key.privateKeyPEM().utf8), to: keyURL, permissions: 0o600, replacing: false)
        try AtomicFile.write(Array(try certificate.pemRepresentation().utf8), to: certificateURL,
                             permissions: 0o644, replacing: false)
        return CertificateAuthority(directory: directory, certificate: certificate, key: key)
    }

    /// A TLS server certificate for the aggregator, with a new P-256 key: serverAuth, and every name
    /// in subjectAltName; the subject CN is the first name of at most 64 characters (X.509's limit
    /// for a CN; clients check the subjectAltName), else "tessera-aggregator".
    /// - Parameters:
    ///   - dnsNames: host names clients connect to ("aggregator.consortium.example").
    ///   - ipAddresses: IPv4 or IPv6 addresses clients connect to ("10.0.0.5", "::1").
    /// - Throws: `SecurityError.missingSubjectAlternativeName` if both are empty,
    ///   `.invalidDNSName`, `.invalidIPAddress`, and file errors.
    public func issueServerCertificate(dnsNames: [String], ipAddresses: [String]) throws -> Credential {
        for name in dnsNames where !Self.isHostName(name) { throw SecurityError.invalidDNSName(value: name) }
        for address in ipAddresses where !Self.isIPAddress(address) {
            throw SecurityError.invalidIPAddress(value: address)
        }
        guard !dnsNames.isEmpty || !ipAddresses.isEmpty else { throw SecurityError.missingSubjectAlternativeName }
        let commonName = (dnsNames + ipAddresses).first { $0.utf8.count <= 64 } ?? "tessera-aggregator"
        let names = dnsNames.map { "DNS:\($0)" } + ipAddresses.map { "IP:\($0)" }
        let key = try OpenSSLHandle.generateKey(algorithm: "EC", curve: "P-256")
        let certificate = try issue(
            commonName: commonName, publicKey: key.pointer, kind: .server, usage: .serverAuth,
            extraExtensions: [(NID_subject_alt_name, names.joined(separator: ","))])
        return Credential(certificate: certificate, privateKeyPEM: try key.privateKeyPEM())
    }

    /// A site's client certificate with a new P-256 key: CN = `siteID`, clientAuth.
    /// - Throws: `SecurityError.invalidSiteID`, and file errors.
    public func issueSiteCertificate(siteID: String) throws -> Credential {
        try Self.validateSiteID(siteID)
        let key = try OpenSSLHandle.generateKey(algorithm: "EC", curve: "P-256")
        let certificate = try issue(commonName: siteID, publicKey: key.pointer, kind: .site, usage: .clientAuth)
        return Credential(certificate: certificate, privateKeyPEM: try key.privateKeyPEM())
    }

    /// A site's client certificate for the key in a certificate signing request, for hospitals that
    /// keep their own key. Only the CSR's public key is used: the subject is CN = `siteID` and the
    /// extensions are the CA's, whatever the CSR asks for.
    /// - Parameter pemData: the CSR in PEM ("BEGIN CERTIFICATE REQUEST").
    /// - Throws: `SecurityError.invalidSiteID`, `.invalidPEM`, `.invalidCSRSignature` if the CSR's
    ///   signature does not verify with its key, `.weakKey` below 112 bits of security (RSA < 2048).
    public func signCSR(pemData: Data, siteID: String) throws -> X509Certificate {
        try Self.validateSiteID(siteID)
        let source = "certificate signing request for site \(siteID)"
        let request = try MemoryBIO.reading(Array(pemData)) { bio in
            guard let request = PEM_read_bio_X509_REQ(bio, nil, nil, nil) else {
                throw SecurityError.invalidPEM(source: source, expected: "certificate signing request", openSSL: .drain())
            }
            return request
        }
        defer { X509_REQ_free(request) }
        guard let publicKey = X509_REQ_get0_pubkey(request) else {
            throw SecurityError.invalidPEM(source: source, expected: "certificate signing request with a public key",
                                           openSSL: .drain())
        }
        guard X509_REQ_verify(request, publicKey) == 1 else {
            ERR_clear_error()
            throw SecurityError.invalidCSRSignature(source: source)
        }
        let securityBits = Int(EVP_PKEY_get_security_bits(publicKey))
        guard securityBits >= Self.minimumSecurityBits else {
            throw SecurityError.weakKey(source: source, securityBits: securityBits, required: Self.minimumSecurityBits)
        }
        return try issue(commonName: siteID, publicKey: publicKey, kind: .site, usage: .clientAuth)
    }

    /// A certificate for the aggregator's Ed25519 ledger key, the only kind that carries
    /// `ExtendedKeyUsage.ledgerSigning`; CN = "tessera-ledger".
    /// - Parameter publicKey: the ledger key's public half (the private key never leaves the aggregator).
    /// - Throws: file errors.
    public func issueLedgerCertificate(for publicKey: Ed25519PublicKey) throws -> X509Certificate {
        try issue(commonName: "tessera-ledger", publicKey: publicKey.handle.pointer, kind: .ledger, usage: .ledgerSigning)
    }

    /// Every certificate this CA issued, in the order of issue, with revocation dates.
    /// - Throws: `SecurityError.corruptIndex` or `.fileUnreadable`.
    public func list() throws -> [IssuedCertificate] {
        try CertificateIndex.read(in: directory).certificates
    }

    static let keyFile = "ca-key.pem"
    static let certificateFile = "ca.pem"
    static let issuedDirectory = "issued"
    /// NIST SP 800-57's floor through 2030: P-256 and Ed25519 give 128, RSA-2048 gives 112.
    static let minimumSecurityBits = 112

    /// Signs a leaf certificate for `publicKey`, stores a copy and records it in the index.
    private func issue(
        commonName: String, publicKey: OpaquePointer, kind: IssuedCertificate.Kind, usage: ExtendedKeyUsage,
        extraExtensions: [(Int32, String)] = []
    ) throws -> X509Certificate {
        try CertificateIndex.update(in: directory) { index in
            var serialNumber = try Self.randomSerial()
            let taken = Set(index.certificates.map(\.serialNumber) + [certificate.serialNumber])
            while taken.contains(serialNumber) { serialNumber = try Self.randomSerial() }

            let start = now()
            let issued = try CertificateBuilder(
                serialNumber: serialNumber, commonName: commonName, publicKey: publicKey,
                notBefore: start - Self.clockSkewAllowance, notAfter: start + Self.leafLifetime
            ).signed(issuer: certificate, issuerKey: key.pointer, extensions: [
                (NID_basic_constraints, "critical,CA:FALSE"),
                (NID_key_usage, "critical,digitalSignature"),
                (NID_ext_key_usage, usage.oid),
                (NID_subject_key_identifier, "hash"),
                (NID_authority_key_identifier, "keyid:always"),
            ] + extraExtensions)

            let issuedDirectory = directory.appendingPathComponent(Self.issuedDirectory)
            try AtomicFile.createDirectory(issuedDirectory)
            try AtomicFile.write(
                Array(try issued.pemRepresentation().utf8),
                to: issuedDirectory.appendingPathComponent("\(issued.serialNumber).pem"),
                permissions: 0o644, replacing: false)
            index.certificates.append(IssuedCertificate(issued, kind: kind))
            return issued
        }
    }

    /// 128 random bits with the top bit cleared, so the DER INTEGER is positive (RFC 5280 §4.1.2.2).
    private static func randomSerial() throws -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        repeat {
            guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else {
                throw SecurityError.openSSLFailure(operation: "draw a random serial number", openSSL: .drain())
            }
            bytes[0] &= 0x7f
        } while bytes.allSatisfy { $0 == 0 }
        return try X509Certificate.canonicalSerial(Hex.encoded(bytes))
    }

    private static func validateSiteID(_ siteID: String) throws {
        let allowed = siteID.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
        guard allowed, (1...64).contains(siteID.utf8.count) else { throw SecurityError.invalidSiteID(value: siteID) }
    }

    /// A DNS host name (RFC 1123): dot-separated labels of 1 to 63 letters, digits and inner hyphens.
    private static func isHostName(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return name.utf8.count <= 253 && labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { $0.isASCII && (Character($0).isLetter || Character($0).isNumber || $0 == "-") }
        }
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }
}
