import Tensor

/// JSON written as Python's `json.dump(indent=2)` and serde_json's pretty printer write it: two-space
/// indentation, `": "` after keys, members in the given order, floats always with a decimal point or
/// exponent (`1.0`, not `1`: HF's strict config classes reject an integer where a float is due), and
/// serde_json's string escapes. `JSONSerialization` reproduces none of these exactly.
indirect enum JSONValue {
    case null
    case bool(Bool)
    case integer(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// An object with its members sorted by key.
    static func sortedObject(_ members: [String: JSONValue]) -> JSONValue {
        .object(members.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
    }

    /// The value as pretty-printed JSON text ending in a newline.
    var text: String {
        var text = ""
        write(to: &text, indent: "")
        return text + "\n"
    }

    func write(to text: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .null:
            text += "null"
        case let .bool(value):
            text += value ? "true" : "false"
        case let .integer(value):
            text += String(value)
        case let .double(value):
            let written = "\(value)"
            text += written.contains(where: { ".eni".contains($0) }) ? written : written + ".0"
        case let .string(value):
            text += JSONString.quoted(value)
        case let .array(elements):
            guard !elements.isEmpty else {
                text += "[]"
                return
            }
            text += "[\n"
            for (index, element) in elements.enumerated() {
                text += inner
                element.write(to: &text, indent: inner)
                text += index == elements.count - 1 ? "\n" : ",\n"
            }
            text += indent + "]"
        case let .object(members):
            guard !members.isEmpty else {
                text += "{}"
                return
            }
            text += "{\n"
            for (index, member) in members.enumerated() {
                text += inner
                text += JSONString.quoted(member.key)
                text += ": "
                member.value.write(to: &text, indent: inner)
                text += index == members.count - 1 ? "\n" : ",\n"
            }
            text += indent + "}"
        }
    }
}
