import COpenSSL
import Foundation

/// ASN.1 values that certificates and CRLs share; each returned pointer is the caller's to free.
enum ASN1 {
    /// A new `ASN1_INTEGER` (free with `ASN1_INTEGER_free`) from a serial in hexadecimal.
    static func integer(serial: String) throws -> UnsafeMutablePointer<ASN1_INTEGER> {
        var number: OpaquePointer?
        guard BN_hex2bn(&number, serial) > 0, let number else {
            throw SecurityError.invalidSerial(value: serial)
        }
        defer { BN_free(number) }
        guard let integer = BN_to_ASN1_INTEGER(number, nil) else {
            throw SecurityError.openSSLFailure(operation: "encode serial \(serial)", openSSL: .drain())
        }
        return integer
    }

    /// A new `ASN1_TIME` (free with `ASN1_TIME_free`) at `date`, to the second: UTCTime before 2050,
    /// GeneralizedTime after, as RFC 5280 §4.1.2.5 requires.
    static func time(_ date: Date) throws -> UnsafeMutablePointer<ASN1_TIME> {
        guard let time = ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970.rounded(.down))) else {
            throw SecurityError.openSSLFailure(operation: "encode time \(date)", openSSL: .drain())
        }
        return time
    }
}
