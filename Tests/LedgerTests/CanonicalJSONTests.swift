import Foundation
import Ledger
import Protocols
import Testing

/// RFC 8785's own test vectors (§3.2.2, §3.2.3, Appendix B) and the parser's refusals.
struct CanonicalJSONTests {
    /// RFC 8785 §3.2.2's example: numbers, escapes and literals.
    @Test func canonicalizesTheRFCExample() throws {
        let input = #"""
            {
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#
        let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(String(decoding: try CanonicalJSON.canonicalized(Array(input.utf8)), as: UTF8.self) == expected)
    }

    /// RFC 8785 §3.2.3: members sorted by UTF-16 code units (the emoji's surrogates sort before U+FB33).
    @Test func sortsKeysByUTF16CodeUnits() throws {
        let input = #"""
            {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
             "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control",
             "\u00f6": "Latin Small Letter O With Diaeresis"}
            """#
        let output = try CanonicalJSON.canonicalized(Array(input.utf8))
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\","
            + "\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\","
            + "\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    /// RFC 8785 Appendix B: IEEE-754 bit patterns and their ECMAScript text.
    @Test(arguments: [
        (0x0000_0000_0000_0000, "0"), (0x8000_0000_0000_0000, "0"),
        (0x0000_0000_0000_0001, "5e-324"), (0x8000_0000_0000_0001, "-5e-324"),
        (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e+308"), (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e+308"),
        (0x4340_0000_0000_0000, "9007199254740992"), (0xC340_0000_0000_0000, "-9007199254740992"),
        (0x4430_0000_0000_0000, "295147905179352830000"),
        (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"), (0x44B5_2D02_C7E1_4AF6, "1e+23"),
        (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"),
        (0x444B_1AE4_D6E2_EF4E, "999999999999999700000"), (0x444B_1AE4_D6E2_EF4F, "999999999999999900000"),
        (0x444B_1AE4_D6E2_EF50, "1e+21"),
        (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"), (0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
        (0x41B3_DE43_5555_5553, "333333333.3333332"), (0x41B3_DE43_5555_5554, "333333333.33333325"),
        (0x41B3_DE43_5555_5555, "333333333.3333333"), (0x41B3_DE43_5555_5556, "333333333.3333334"),
        (0x41B3_DE43_5555_5557, "333333333.33333343"),
        (0xBECB_F647_612F_3696, "-0.0000033333333333333333"), (0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
    ] as [(UInt64, String)])
    func serialisesNumbersAsECMAScript(bits: UInt64, expected: String) throws {
        #expect(try CanonicalJSON.numberText(Double(bitPattern: bits)) == expected)
    }

    /// NaN and infinity have no JSON form (Appendix B's last two samples): an error naming the path.
    @Test func refusesNonFiniteNumbers() {
        #expect(throws: LedgerError.nonFiniteNumber(path: "$.metrics.loss")) {
            try CanonicalJSON.encoded(.object(["metrics": .object(["loss": .number(.nan)])]))
        }
        #expect(throws: LedgerError.nonFiniteNumber(path: "$[1]")) {
            try CanonicalJSON.encoded(.array([.number(1), .number(.infinity)]))
        }
    }

    /// Control characters use the short escapes where JSON has one, else \u00xx in lowercase.
    @Test func escapesControlCharacters() throws {
        let text = "\u{08}\u{09}\u{0A}\u{0C}\u{0D}\u{01}\u{1F}\u{7F}/é"
        let output = String(decoding: try CanonicalJSON.encoded(.string(text)), as: UTF8.self)
        #expect(output == "\"\\b\\t\\n\\f\\r\\u0001\\u001f\u{7F}/é\"")
    }

    /// Parsing then encoding is the identity on canonical text.
    @Test func keepsCanonicalTextUnchanged() throws {
        let text = #"{"a":[1,-2.5,1e-7,true,null,{}],"b":"x\"y","c":{"d":[]}}"#
        #expect(try CanonicalJSON.canonicalized(Array(text.utf8)) == Array(text.utf8))
    }

    /// I-JSON's rules: duplicate names, lone surrogates, raw control characters, trailing text.
    @Test(arguments: [
        (#"{"a":1,"a":2}"#, 7, #"duplicate member name "a""#),
        (#"["\ud800"]"#, 8, "lone high surrogate \\ud800"),
        ("[\"a\u{01}\"]", 3, "unescaped control character 0x1 in a string"),
        ("[1] x", 4, "unexpected text after the value"),
        ("[01]", 2, "expected , or ] after an element"),
        ("[1.]", 3, "expected a digit after the decimal point"),
    ] as [(String, Int, String)])
    func refusesInvalidJSON(text: String, offset: Int, reason: String) {
        #expect(throws: LedgerError.invalidJSON(offset: offset, reason: reason)) {
            try CanonicalJSON.parsed(Array(text.utf8))
        }
    }

    /// A number beyond the double range is refused, not turned into infinity.
    @Test func refusesOverflowingNumbers() {
        #expect(throws: LedgerError.nonFiniteNumber(path: "byte 1: 1e400")) {
            try CanonicalJSON.parsed(Array("[1e400]".utf8))
        }
    }
}
