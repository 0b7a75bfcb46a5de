import Foundation

/// Everything that can go wrong in the Security module, with the file, field and value involved.
///
/// Cases that follow an OpenSSL failure carry OpenSSL's error queue (`OpenSSLErrorStack`), which
/// `description` appends; two stacks always compare equal, so a case matches on what failed.
public enum SecurityError: Error, Equatable, CustomStringConvertible {
    /// An OpenSSL call failed on input that was not at fault (allocation, a missing algorithm provider).
    case openSSLFailure(operation: String, openSSL: OpenSSLErrorStack)
    /// `source` holds no readable PEM object of the `expected` kind ("certificate", "private key", …).
    case invalidPEM(source: String, expected: String, openSSL: OpenSSLErrorStack)
    /// `source` holds no readable DER object of the `expected` kind.
    case invalidDER(source: String, expected: String, openSSL: OpenSSLErrorStack)
    /// A key in `source` is of another algorithm than the one asked for (OpenSSL's names: "ED25519", "EC").
    case wrongKeyType(source: String, found: String, expected: String)
    /// A raw key or signature has `found` bytes where `expected` are required.
    case invalidLength(field: String, found: Int, expected: Int)
    /// A digest given as text is not 64 hexadecimal digits.
    case invalidDigestHex(value: String)
    /// A serial number given as text is not a positive hexadecimal number.
    case invalidSerial(value: String)
    /// A file could not be read; `reason` is the system's.
    case fileUnreadable(path: String, reason: String)
    /// A file could not be written, synced or renamed into place; `reason` is the system's.
    case fileWriteFailed(path: String, reason: String)
    /// A key or certificate already exists at `path` and is never overwritten.
    case refusingToOverwrite(path: String)
    /// A certificate's validity ended before the time of the check.
    case certificateExpired(subject: String, serial: String, notAfter: Date)
    /// A certificate's validity starts after the time of the check.
    case certificateNotYetValid(subject: String, serial: String, notBefore: Date)
    /// No chain leads from the certificate to the trust anchor; `reason` is OpenSSL's verify message.
    case untrustedCertificate(subject: String, issuer: String, reason: String)
    /// The certificate's serial is on the revocation list.
    case certificateRevoked(subject: String, serial: String)
    /// The certificate lacks the extended key usage the check requires.
    case missingExtendedKeyUsage(subject: String, required: ExtendedKeyUsage, found: [ExtendedKeyUsage])
    /// A CA name is empty or longer than 64 characters (X.520's bound for a common name).
    case invalidCommonName(value: String)
    /// A site id is empty, too long or has characters outside `A-Z a-z 0-9 . _ -`.
    case invalidSiteID(value: String)
    /// A DNS name for a server certificate is not a plain host name.
    case invalidDNSName(value: String)
    /// An IP address for a server certificate is neither IPv4 nor IPv6 text.
    case invalidIPAddress(value: String)
    /// A server certificate was asked for with no DNS name and no IP address.
    case missingSubjectAlternativeName
    /// A certificate signing request's signature does not verify with its own public key.
    case invalidCSRSignature(source: String)
    /// A key offers fewer bits of security than the consortium requires.
    case weakKey(source: String, securityBits: Int, required: Int)
    /// The CA's private key does not belong to its certificate.
    case authorityKeyMismatch(keyPath: String, certificatePath: String)
    /// A serial to revoke was never issued by this CA.
    case unknownSerial(value: String, indexPath: String)
    /// The CA's index file exists but cannot be decoded.
    case corruptIndex(path: String, reason: String)

    /// A sentence that hospital IT, the operator or an auditor can act on.
    public var description: String {
        switch self {
        case let .openSSLFailure(operation, openSSL):
            return "OpenSSL failed to \(operation) (\(openSSL))"
        case let .invalidPEM(source, expected, openSSL):
            return "\(source): no readable PEM \(expected) (\(openSSL))"
        case let .invalidDER(source, expected, openSSL):
            return "\(source): no readable DER \(expected) (\(openSSL))"
        case let .wrongKeyType(source, found, expected):
            return "\(source): the key is \(found), expected \(expected)"
        case let .invalidLength(field, found, expected):
            return "\(field) has \(found) bytes, expected \(expected)"
        case let .invalidDigestHex(value):
            return "'\(value)' is not a SHA-256 digest: expected 64 hexadecimal digits"
        case let .invalidSerial(value):
            return "'\(value)' is not a certificate serial number: expected hexadecimal digits"
        case let .fileUnreadable(path, reason):
            return "\(path): cannot read (\(reason))"
        case let .fileWriteFailed(path, reason):
            return "\(path): cannot write (\(reason)); the previous content, if any, is unchanged"
        case let .refusingToOverwrite(path):
            return "\(path) already exists; refusing to overwrite it (move it away first if you mean to replace it)"
        case let .certificateExpired(subject, serial, notAfter):
            return "certificate \(subject) (serial \(serial)) expired at \(Self.format(notAfter)); issue a new one"
        case let .certificateNotYetValid(subject, serial, notBefore):
            return "certificate \(subject) (serial \(serial)) is not valid before \(Self.format(notBefore)); check this machine's clock"
        case let .untrustedCertificate(subject, issuer, reason):
            return "certificate \(subject) issued by \(issuer) is not trusted by the consortium CA: \(reason)"
        case let .certificateRevoked(subject, serial):
            return "certificate \(subject) (serial \(serial)) has been revoked"
        case let .missingExtendedKeyUsage(subject, required, found):
            let list = found.isEmpty ? "none" : found.map(\.description).joined(separator: ", ")
            return "certificate \(subject) lacks extended key usage \(required) (it has: \(list))"
        case let .invalidCommonName(value):
            return "common name '\(value)' is invalid: use 1 to 64 characters"
        case let .invalidSiteID(value):
            return "site id '\(value)' is invalid: use 1 to 64 characters from A-Z a-z 0-9 . _ -"
        case let .invalidDNSName(value):
            return "'\(value)' is not a DNS name: use labels of A-Z a-z 0-9 - separated by dots"
        case let .invalidIPAddress(value):
            return "'\(value)' is not an IPv4 or IPv6 address"
        case .missingSubjectAlternativeName:
            return "a server certificate needs at least one DNS name or IP address"
        case let .invalidCSRSignature(source):
            return "\(source): the certificate signing request's signature does not verify"
        case let .weakKey(source, securityBits, required):
            return "\(source): the key offers \(securityBits) bits of security, at least \(required) are required"
        case let .authorityKeyMismatch(keyPath, certificatePath):
            return "\(keyPath) is not the private key of \(certificatePath)"
        case let .unknownSerial(value, indexPath):
            return "serial \(value) is not in \(indexPath): this CA never issued it"
        case let .corruptIndex(path, reason):
            return "\(path): cannot decode the CA index (\(reason))"
        }
    }

    private static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
