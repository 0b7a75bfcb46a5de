/// Any JSON value: free-form option tables in the ``TrainingPlan`` and ledger payloads.
///
/// Numbers are IEEE doubles, as RFC 8785 (JCS) and JavaScript read them, so integers beyond
/// 2⁵³ are not represented exactly; fields that need exact integers are typed fields instead.
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            // `try?`: a value that is not a Bool is one of the other kinds, tried in turn.
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .number(value): try container.encode(value)
        case let .string(value): try container.encode(value)
        case let .array(value): try container.encode(value)
        case let .object(value): try container.encode(value)
        }
    }

    /// The dotted paths of object keys present in `self` but not in `reference`, in sorted order;
    /// array elements are compared index by index (`objectives.1.name`). Keys whose value is
    /// `null` count as absent.
    func keyPaths(missingFrom reference: JSONValue, prefix: String = "") -> [String] {
        func joined(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }
        switch (self, reference) {
        case let (.object(fields), .object(known)):
            return fields.keys.sorted().flatMap { key -> [String] in
                guard let value = fields[key], value != .null else { return [] }
                guard let knownValue = known[key] else { return [joined(key)] }
                return value.keyPaths(missingFrom: knownValue, prefix: joined(key))
            }
        case let (.array(elements), .array(known)):
            return zip(elements, known).enumerated().flatMap { index, pair in
                pair.0.keyPaths(missingFrom: pair.1, prefix: joined(String(index)))
            }
        default:
            return []
        }
    }
}
