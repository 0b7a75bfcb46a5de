import Protocols

/// The JSON Canonicalization Scheme (JCS, RFC 8785): the one byte sequence for a JSON value,
/// which the ledger hashes and signs.
///
/// - Objects: members sorted by their keys' UTF-16 code units (§3.2.3), no whitespace anywhere.
/// - Strings (§3.2.2.2): `"` and `\` escaped as `\"` and `\\`; U+0008, U+0009, U+000A, U+000C and
///   U+000D as `\b`, `\t`, `\n`, `\f`, `\r`; every other code point below U+0020 as `\u00xx` with
///   lowercase hex; everything else (including `/`, U+007F and non-ASCII) as its UTF-8 bytes.
/// - Numbers (§3.2.2.3): ECMAScript's `Number.prototype.toString` of the IEEE-754 double: the
///   shortest digits that round-trip (closest to the exact value on ties), written as an integer
///   when the decimal exponent allows (`5`, `9007199254740992`, `1e+21`), `-0` as `0`; NaN and
///   infinities are errors. Ledger payloads keep integers below 2⁵³ and otherwise store doubles,
///   whose shortest form every language's float printer yields (see docs/LEDGER.md).
/// - Literals: `null`, `true`, `false`.
///
/// ```swift
/// let bytes = try CanonicalJSON.encoded(.object(["b": .number(1), "a": .string("é")]))
/// // {"a":"é","b":1}
/// ```
public enum CanonicalJSON {
    /// The canonical UTF-8 bytes of `value`.
    /// - Throws: `LedgerError.nonFiniteNumber` naming the path of a NaN or infinite number.
    public static func encoded(_ value: JSONValue) throws -> [UInt8] {
        var output: [UInt8] = []
        try append(value, to: &output, path: "$")
        return output
    }

    /// The canonical bytes of the JSON text `bytes` (parse, then encode).
    /// - Throws: `LedgerError.invalidJSON` for text that is not I-JSON (RFC 7493: UTF-8, no
    ///   duplicate keys, no lone surrogates), `LedgerError.nonFiniteNumber` for a number that
    ///   overflows a double.
    public static func canonicalized(_ bytes: [UInt8]) throws -> [UInt8] {
        try encoded(try parsed(bytes))
    }

    /// The value of the JSON text `bytes`.
    /// - Throws: `LedgerError.invalidJSON` with the byte offset of the first error,
    ///   `LedgerError.nonFiniteNumber` for a number beyond the range of a double (`1e400`).
    public static func parsed(_ bytes: [UInt8]) throws -> JSONValue {
        var parser = JSONTextParser(bytes: bytes)
        return try parser.parseDocument()
    }

    /// ECMAScript's `Number.prototype.toString` for a finite double (RFC 8785 §3.2.2.3).
    ///
    /// Swift's `description` gives the shortest round-tripping digits `d₁…d_k` (closest to the exact
    /// value among them); with `n` such that the value is `0.d₁…d_k × 10ⁿ`, the text is
    /// - `d₁…d_k` followed by `n − k` zeros when `k ≤ n ≤ 21`,
    /// - `d₁…d_n.d_(n+1)…d_k` when `0 < n ≤ 21`,
    /// - `0.` then `−n` zeros then `d₁…d_k` when `−6 < n ≤ 0`,
    /// - otherwise `d₁[.d₂…d_k]e±(n − 1)`.
    /// - Throws: `LedgerError.nonFiniteNumber` for NaN and infinities.
    public static func numberText(_ value: Double, path: String = "$") throws -> String {
        guard value.isFinite else { throw LedgerError.nonFiniteNumber(path: path) }
        if value == 0 { return "0" }  // both zeros
        let (digits, n) = shortestDigits(of: value.magnitude)
        let k = digits.count
        let sign = value < 0 ? "-" : ""
        let text: String
        if k <= n && n <= 21 {
            text = digits + String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            text = String(digits.prefix(n)) + "." + String(digits.dropFirst(n))
        } else if -6 < n && n <= 0 {
            text = "0." + String(repeating: "0", count: -n) + digits
        } else {
            let exponent = n - 1
            let mantissa = k == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
            text = mantissa + "e" + (exponent < 0 ? "-" : "+") + String(exponent.magnitude)
        }
        return sign + text
    }

    /// The shortest round-tripping decimal digits of a positive finite double, without leading or
    /// trailing zeros, and `n` with `value = 0.digits × 10ⁿ`, read from Swift's `description`
    /// (`1e-07`, `0.0001`, `100.0`, `2.9514790517935283e+20`).
    private static func shortestDigits(of value: Double) -> (digits: String, n: Int) {
        let text = value.description
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0]
        let integerPart = mantissa.split(separator: ".", omittingEmptySubsequences: false)[0]
        var digits = mantissa.filter { $0 != "." }
        var n = integerPart.count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            n -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (digits, n)
    }

    private static func append(_ value: JSONValue, to output: inout [UInt8], path: String) throws {
        switch value {
        case .null:
            output += Array("null".utf8)
        case let .bool(flag):
            output += Array((flag ? "true" : "false").utf8)
        case let .number(number):
            output += Array(try numberText(number, path: path).utf8)
        case let .string(text):
            appendString(text, to: &output)
        case let .array(elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try append(element, to: &output, path: "\(path)[\(index)]")
            }
            output.append(UInt8(ascii: "]"))
        case let .object(members):
            output.append(UInt8(ascii: "{"))
            let keys = members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            for (index, key) in keys.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                appendString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                // Every key comes from `members.keys`, so the lookup always succeeds.
                try append(members[key] ?? .null, to: &output, path: "\(path).\(key)")
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func appendString(_ text: String, to output: inout [UInt8]) {
        let hexDigits = Array("0123456789abcdef".utf8)
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: output += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x09: output += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0A: output += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0C: output += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0D: output += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x00..<0x20:
                output += Array("\\u00".utf8) + [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            default:
                output.append(byte)  // UTF-8 bytes of U+0020 and above go through unchanged
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
