import Testing
@testable import Datasets

/// Reports-only JSON lines: round trip, and errors at the file's own line numbers.
struct ReportsFileTests {
    @Test func roundTripsAndSkipsBlankLines() throws {
        let directory = try DatasetFixtureDirectory()
        defer { directory.remove() }
        try directory.write("png", to: "images/a.png")
        let entries = [ReportsFile.Entry(image: "images/a.png", report: "CXR: normal study. No nodule.")]
        let file = try directory.write(ReportsFile.encoded(entries) + "\n", to: "reports.jsonl")
        let reports = try ReportsFile(contentsOf: file)
        #expect(reports.entries == entries)
    }

    @Test func reportsMalformedLinesWithTheirLineNumber() throws {
        let directory = try DatasetFixtureDirectory()
        defer { directory.remove() }
        let file = try directory.write("{\"image\": \"a.png\", \"report\": \"x\"}\n\n{\"image\": \"b.png\", \"report\": }\n", to: "r.jsonl")
        #expect(throws: DatasetError.malformedJSON(file: file, line: 3, column: 30, reason: "expected a value, found '}'")) {
            try ReportsFile(contentsOf: file, checkImages: false)
        }
        let missing = try directory.write("{\"image\": \"images/none.png\", \"report\": \"x\"}\n", to: "m.jsonl")
        #expect(throws: DatasetError.missingImage(file: missing, item: 0, image: "images/none.png")) {
            try ReportsFile(contentsOf: missing)
        }
        let noReport = try directory.write("{\"image\": \"a.png\"}\n", to: "n.jsonl")
        #expect(throws: DatasetError.missingField(file: noReport, item: 0, field: "report")) {
            try ReportsFile(contentsOf: noReport, checkImages: false)
        }
    }
}
