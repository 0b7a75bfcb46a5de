import Foundation
import Reporting
import Testing

struct ResultsTableTests {
    private func sampleTable() -> ResultsTable {
        var table = ResultsTable(title: "matmul", columns: ["size", "kernel", "GFLOP/s"])
        table.append([.integer(64), .text("tape"), .number(12.345, decimals: 1)])
        table.append([.integer(1024), .text("cblas"), .number(170, decimals: 1)])
        table.notes = ["cores: 2"]
        return table
    }

    /// Numbers align right, text aligns left, and notes follow the rows.
    @Test func rendersAlignedText() {
        let expected = """
            matmul
            size  kernel  GFLOP/s
            ----  ------  -------
              64  tape       12.3
            1024  cblas     170.0
            cores: 2

            """
        #expect(sampleTable().rendered(as: .text) == expected)
    }

    /// JSON keeps full precision and is valid JSON that a script can read back.
    @Test func rendersParseableJSON() throws {
        let json = sampleTable().rendered(as: .json)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(rows[0]["GFLOP/s"] as? Double == 12.345)
        #expect(rows[1]["kernel"] as? String == "cblas")
        #expect(object["notes"] as? [String] == ["cores: 2"])
    }

    /// Missing and non-finite values print as `-` in text and `null` in JSON.
    @Test func rendersMissingAndNonFiniteValues() throws {
        var table = ResultsTable(title: "t", columns: ["a", "b"])
        table.append([.missing, .number(.nan, decimals: 2)])
        #expect(table.rendered(as: .text).contains("-  nan"))
        #expect(table.rendered(as: .json).contains("{\"a\":null,\"b\":null}"))
    }

    /// Quotes and control characters in text are escaped in JSON.
    @Test func escapesStringsInJSON() {
        var table = ResultsTable(title: "say \"hi\"\n", columns: ["x"])
        table.append([.text("tab\there")])
        let json = table.rendered(as: .json)
        #expect(json.hasPrefix("{\"title\":\"say \\\"hi\\\"\\n\""))
        #expect(json.contains("\"tab\\there\""))
    }
}
