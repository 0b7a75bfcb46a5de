import Testing
@testable import Datasets

/// The JSON parser: values as written, errors at the exact line and column.
struct JSONParserTests {
    private func parse(_ text: String) throws(DatasetError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8), file: "t.json")
    }

    @Test func parsesValuesKeepingIntegersAndMemberOrder() throws {
        let value = try parse(#"{"b": [1, -2.5e1, "x\u00e9\n", true, null], "a": {"z": 0}}"#)
        #expect(value.keys == ["b", "a"])
        #expect(value["b"] == .array([.integer(1), .number(-25), .string("xé\n"), .bool(true), .null]))
        #expect(value.serialized == #"{"b":[1,-25.0,"xé\n",true,null],"a":{"z":0}}"#)
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try parse(#""\ud83e\udec1""#) == .string("\u{1FAC1}"))
    }

    @Test func reportsMissingCommaWithLineAndColumn() {
        #expect(throws: DatasetError.malformedJSON(file: "t.json", line: 3, column: 3,
                                                   reason: "expected ',' or '}' after an object member, found '\"'")) {
            try parse("{\n \"a\": 1\n  \"b\": 2}")
        }
    }

    @Test func reportsTruncatedFiles() {
        #expect(throws: DatasetError.malformedJSON(file: "t.json", line: 1, column: 12, reason: "unterminated string")) {
            try parse(#"[{"id": "ab"#)
        }
        #expect(throws: DatasetError.malformedJSON(file: "t.json", line: 1, column: 2,
                                                   reason: "expected a value, found the end of the file")) {
            try parse("[")
        }
    }

    @Test func rejectsTrailingTextAndBadLiterals() {
        #expect(throws: DatasetError.malformedJSON(file: "t.json", line: 1, column: 4, reason: "unexpected text after the JSON value")) {
            try parse("[] x")
        }
        #expect(throws: DatasetError.malformedJSON(file: "t.json", line: 1, column: 2, reason: "expected true, found 't'")) {
            try parse("[tru]")
        }
    }
}
