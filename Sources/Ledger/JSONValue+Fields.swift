import Protocols

/// Reading payload fields: the value of an object member, as the JSON type expected.
extension JSONValue {
    /// The member `field` of an object; nil for other values and missing members.
    public subscript(field: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        return members[field]
    }

    /// The text of a string; nil for other values.
    public var stringValue: String? {
        guard case let .string(text) = self else { return nil }
        return text
    }

    /// An integral number below 2⁵³ in magnitude as an Int; nil for other values.
    public var integerValue: Int? {
        guard case let .number(number) = self, number.rounded() == number, number.magnitude < 9_007_199_254_740_992 else {
            return nil
        }
        return Int(number)
    }

    /// A number; nil for other values.
    var numberValue: Double? {
        guard case let .number(number) = self else { return nil }
        return number
    }

    /// The elements of an array; nil for other values.
    var arrayValue: [JSONValue]? {
        guard case let .array(elements) = self else { return nil }
        return elements
    }
}
