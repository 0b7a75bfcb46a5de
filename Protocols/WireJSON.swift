import Foundation

/// The one JSON configuration of the wire contract: keys sorted (by their UTF-16 code units, which
/// for the ASCII keys used here is byte order), `/` not escaped, dates as RFC 3339 UTC text with
/// seconds (`2025-03-01T12:00:00Z`). The same value always encodes to the same bytes, so messages
/// can be compared and hashed as they travel.
public enum WireJSON {
    /// An encoder with the wire settings.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// A decoder with the wire settings.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// The wire bytes of `value`.
    /// - Throws: `EncodingError` when a value cannot be represented (a non-finite number).
    public static func encode(_ value: some Encodable) throws -> Data {
        try encoder().encode(value)
    }

    /// A value from its wire bytes.
    /// - Throws: `DecodingError`, or the type's own error (``TrainingPlanError`` for a plan).
    public static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws -> Value {
        try decoder().decode(type, from: data)
    }
}
