/// Spreadsheet formula injection (OWASP "CSV Injection"): a cell of a client-facing CSV file
/// that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula when the
/// file is opened in Excel or LibreOffice (`=HYPERLINK(…)` stored as a client reference in
/// Scollect). Such a cell is written with a leading `'`, which spreadsheets show as text; a
/// plain number (`-12.50`, `+3`) is left alone. Exports (unless `sink.csv_formula_guard:
/// false`, for machine consumers) and acknowledgements use it; the rejects report does not
/// (it mirrors the input and must stay re-feedable).
public enum CSVFormulaGuard {
    public static func guarded(_ value: String) -> String {
        guard let first = value.utf8.first, [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 9, 13].contains(first),
              !isPlainNumber(value) else { return value }
        return "'" + value
    }

    /// `^[-+]?\d+(\.\d+)?$`
    static func isPlainNumber(_ value: String) -> Bool {
        var bytes = Array(value.utf8)[...]
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { part in !part.isEmpty && part.allSatisfy { $0 >= 48 && $0 <= 57 } }
    }
}
