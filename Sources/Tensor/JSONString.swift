import Foundation

/// JSON string literals written one way everywhere Tessera writes JSON by hand (safetensors
/// headers, `config.json`, `tokenizer.json`): RFC 8785 (JCS) escaping, which is also serde_json's
/// and Python's `ensure_ascii=False`: `\"`, `\\`, `\b \f \n \r \t`, other control characters as
/// `\u00xx` (lower-case hex), everything else verbatim as UTF-8.
public enum JSONString {
    /// `string` as a quoted JSON string literal.
    public static func quoted(_ string: String) -> String {
        var quoted = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\u{08}": quoted += "\\b"
            case "\u{0C}": quoted += "\\f"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20: quoted += String(format: "\\u%04x", scalar.value)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}
