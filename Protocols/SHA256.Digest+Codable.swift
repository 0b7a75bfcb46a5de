import Security

/// A digest travels as 64 lowercase hexadecimal digits, as `sha256sum` prints it. (Declared
/// here, where the wire format is decided, rather than in Security.)
extension SHA256.Digest: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(hex: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\(text) is not 64 hexadecimal digits")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
