import Foundation

/// Ledger times: RFC 3339 in UTC with whole seconds (`2025-03-01T12:00:00Z`), the form the wire
/// messages use (``WireJSON``), so an entry's time reads the same in the table, in its canonical
/// bytes and on the wire.
public enum LedgerTime {
    /// `date` rounded down to the whole second, the precision the ledger records.
    public static func truncated(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    /// The RFC 3339 text of `date`, rounded down to the whole second.
    public static func text(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// The date of RFC 3339 UTC text with whole seconds; any other spelling (offsets, fractions,
    /// lowercase `t`/`z`) is refused, so one time has one text.
    /// - Throws: `LedgerError.invalidTime`.
    public static func date(_ text: String) throws -> Date {
        let bytes = Array(text.utf8)
        let digitPositions = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        guard bytes.count == 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              bytes[19] == UInt8(ascii: "Z"),
              digitPositions.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[$0]) })
        else { throw LedgerError.invalidTime(value: text) }
        func number(_ range: Range<Int>) -> Int32 {
            range.reduce(0) { $0 * 10 + Int32(bytes[$1] - UInt8(ascii: "0")) }
        }
        var parts = tm()
        parts.tm_year = number(0..<4) - 1900
        parts.tm_mon = number(5..<7) - 1
        parts.tm_mday = number(8..<10)
        parts.tm_hour = number(11..<13)
        parts.tm_min = number(14..<16)
        parts.tm_sec = number(17..<19)
        let seconds = timegm(&parts)
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        // timegm normalises 2025-02-30 to March; the round trip refuses such dates.
        guard Self.text(date) == text else { throw LedgerError.invalidTime(value: text) }
        return date
    }
}
