import Foundation
import Security

/// What a site declares about an upload in the headers of `PUT /v1/rounds/{id}/updates`, so the
/// aggregator can refuse a wrong version, a stale base or an oversized update before reading the
/// body, and check the body against it afterwards (``DeltaContainer/Expectation``).
///
/// | header | value |
/// | --- | --- |
/// | `Tessera-Protocol-Version` | ``ProtocolVersion/current`` |
/// | `Tessera-Content-Digest` | SHA-256 of the container's canonical safetensors bytes, hex |
/// | `Tessera-Base-Digest` | the base model's digest, hex |
/// | `Tessera-Sample-Count` | nᵢ, distinct examples used in the round, decimal |
/// | `Tessera-Encoding` | `fp32` or `bf16` |
///
/// The round is the path's `{id}`; the site is the client certificate's CN. Header names are
/// matched case-insensitively.
public struct UploadMetadata: Codable, Equatable, Sendable {
    public var protocolVersion: Int
    public var digest: SHA256.Digest
    public var baseDigest: SHA256.Digest
    public var sampleCount: Int
    public var encoding: WireEncoding

    public init(digest: SHA256.Digest, baseDigest: SHA256.Digest, sampleCount: Int, encoding: WireEncoding) {
        protocolVersion = ProtocolVersion.current
        self.digest = digest
        self.baseDigest = baseDigest
        self.sampleCount = sampleCount
        self.encoding = encoding
    }

    public enum Header {
        public static let protocolVersion = "Tessera-Protocol-Version"
        public static let digest = "Tessera-Content-Digest"
        public static let baseDigest = "Tessera-Base-Digest"
        public static let sampleCount = "Tessera-Sample-Count"
        public static let encoding = "Tessera-Encoding"
    }

    /// The headers to send, by name.
    public var httpHeaderFields: [String: String] {
        [Header.protocolVersion: String(protocolVersion), Header.digest: digest.hex, Header.baseDigest: baseDigest.hex,
         Header.sampleCount: String(sampleCount), Header.encoding: encoding.rawValue]
    }

    /// The metadata from request headers.
    /// - Throws: ``UploadMetadataError`` for a missing or unreadable header, or another
    ///   protocol version.
    public init(httpHeaderFields fields: [String: String]) throws {
        func value(_ name: String) throws -> String {
            guard let value = fields.first(where: { $0.key.caseInsensitiveCompare(name) == .orderedSame })?.value else {
                throw UploadMetadataError.missingHeader(name: name)
            }
            return value.trimmingCharacters(in: .whitespaces)
        }
        let version = try value(Header.protocolVersion)
        guard let protocolVersion = Int(version) else {
            throw UploadMetadataError.invalidHeader(name: Header.protocolVersion, value: version, expected: "an integer")
        }
        guard protocolVersion == ProtocolVersion.current else {
            throw UploadMetadataError.unsupportedProtocolVersion(found: protocolVersion, expected: ProtocolVersion.current)
        }
        self.protocolVersion = protocolVersion
        func parsedDigest(_ name: String) throws -> SHA256.Digest {
            let text = try value(name)
            do {
                return try SHA256.Digest(hex: text)
            } catch {
                throw UploadMetadataError.invalidHeader(name: name, value: text, expected: "64 hexadecimal digits")
            }
        }
        digest = try parsedDigest(Header.digest)
        baseDigest = try parsedDigest(Header.baseDigest)
        let samples = try value(Header.sampleCount)
        guard let sampleCount = Int(samples), sampleCount >= 1 else {
            throw UploadMetadataError.invalidHeader(name: Header.sampleCount, value: samples, expected: "an integer ≥ 1")
        }
        self.sampleCount = sampleCount
        let encodingName = try value(Header.encoding)
        guard let encoding = WireEncoding(rawValue: encodingName) else {
            throw UploadMetadataError.invalidHeader(name: Header.encoding, value: encodingName, expected: "fp32 or bf16")
        }
        self.encoding = encoding
    }

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol_version", digest, baseDigest = "base_digest", sampleCount = "sample_count", encoding
    }
}
