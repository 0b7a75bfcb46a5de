import Foundation

/// A table of results: what every benchmark, evaluation and command prints.
///
/// Rendered as aligned text for people (numbers right-aligned, text left-aligned) or as JSON for
/// scripts (`{"title":…,"columns":[…],"rows":[{column: value}],"notes":[…]}`), from the same rows,
/// so the two never disagree.
///
/// ```swift
/// var table = ResultsTable(title: "matmul", columns: ["size", "GFLOP/s", "ratio"])
/// table.append([.integer(256), .number(151.2, decimals: 1), .number(0.98, decimals: 2)])
/// print(table.rendered(as: .text))
/// ```
public struct ResultsTable: Sendable, Equatable {
    /// One value of a row.
    public enum Cell: Sendable, Equatable {
        case text(String)
        case integer(Int)
        /// A number shown with a fixed count of decimals in text; JSON carries the full value.
        case number(Double, decimals: Int)
        /// No value for this column (shown as `-` in text, `null` in JSON).
        case missing
    }

    /// The output forms.
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    public var title: String
    public var columns: [String]
    public private(set) var rows: [[Cell]] = []
    /// Lines printed under the table: the conditions of a measurement (cores, threads, baselines).
    public var notes: [String] = []

    /// Creates an empty table with the given column headers.
    public init(title: String, columns: [String]) {
        self.title = title
        self.columns = columns
    }

    /// Appends a row.
    /// - Precondition: the row has one cell per column (a programming error otherwise).
    public mutating func append(_ row: [Cell]) {
        precondition(row.count == columns.count, "row has \(row.count) cells for \(columns.count) columns")
        rows.append(row)
    }

    /// The table as text or JSON, ending with a newline.
    public func rendered(as format: Format) -> String {
        switch format {
        case .text: return renderedText()
        case .json: return renderedJSON()
        }
    }

    private func renderedText() -> String {
        let body = rows.map { $0.map(\.text) }
        let widths = columns.indices.map { column in
            ([columns[column]] + body.map { $0[column] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String], alignRight: (Int) -> Bool) -> String {
            cells.indices.map { column in
                let padding = String(repeating: " ", count: widths[column] - cells[column].count)
                return alignRight(column) ? padding + cells[column] : cells[column] + padding
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        let numeric = columns.indices.map { column in
            rows.allSatisfy { $0[column].isNumericOrMissing } && !rows.isEmpty
        }
        var lines = [title]
        lines.append(line(columns, alignRight: { numeric[$0] }))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for row in body {
            lines.append(line(row, alignRight: { numeric[$0] }))
        }
        lines += notes
        return lines.joined(separator: "\n") + "\n"
    }

    private func renderedJSON() -> String {
        var json = "{\"title\":\(title.jsonQuoted),\"columns\":["
        json += columns.map(\.jsonQuoted).joined(separator: ",")
        json += "],\"rows\":["
        json += rows.map { row in
            "{" + zip(columns, row).map { "\($0.jsonQuoted):\($1.json)" }.joined(separator: ",") + "}"
        }.joined(separator: ",")
        json += "],\"notes\":[" + notes.map(\.jsonQuoted).joined(separator: ",") + "]}\n"
        return json
    }
}

extension ResultsTable.Cell {
    var text: String {
        switch self {
        case .text(let value): return value
        case .integer(let value): return String(value)
        case .number(let value, let decimals):
            guard value.isFinite else { return String(value) }
            return String(format: "%.\(max(0, decimals))f", value)
        case .missing: return "-"
        }
    }

    var json: String {
        switch self {
        case .text(let value): return value.jsonQuoted
        case .integer(let value): return String(value)
        // JSON has no NaN or infinity: such a value is reported as null.
        case .number(let value, _): return value.isFinite ? "\(value)" : "null"
        case .missing: return "null"
        }
    }

    var isNumericOrMissing: Bool {
        switch self {
        case .text: return false
        case .integer, .number, .missing: return true
        }
    }
}

extension String {
    /// The string as a JSON string literal (RFC 8259 escapes; other characters as UTF-8).
    var jsonQuoted: String {
        var quoted = "\""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\r": quoted += "\\r"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20: quoted += String(format: "\\u%04x", scalar.value)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    func trimmingTrailingSpaces() -> String {
        var result = self
        while result.last == " " { result.removeLast() }
        return result
    }
}
