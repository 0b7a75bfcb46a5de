import Foundation
import GRDB

/// Reading a copy of a ledger file, as an auditor does: read-only, every row in sequence order.
public enum LedgerFile {
    /// Every entry of the ledger at `url`, ordered by sequence.
    /// - Throws: `AuditFailure.unreadableLedger` if the file is not an SQLite database with a
    ///   `ledger_entry` table, `AuditFailure.malformedEntry` for a row the ledger never writes.
    public static func readEntries(at url: URL) throws -> [LedgerEntry] {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw AuditFailure.unreadableLedger(path: url.path, reason: "no such readable file")
        }
        var configuration = Configuration()
        configuration.readonly = true
        let rows: [Row]
        do {
            let queue = try DatabaseQueue(path: url.path, configuration: configuration)
            rows = try queue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM ledger_entry ORDER BY sequence") }
        } catch {
            throw AuditFailure.unreadableLedger(path: url.path, reason: "\(error)")
        }
        return try rows.map { row in
            do {
                return try LedgerEntry(row: row)
            } catch let LedgerError.malformedColumn(sequence, column, found, expected) {
                throw AuditFailure.malformedEntry(sequence: sequence, column: column, found: found, expected: expected)
            }
        }
    }
}
