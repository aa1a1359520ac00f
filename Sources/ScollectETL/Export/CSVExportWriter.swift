/// RFC 4180 CSV: CRLF line ends, a field quoted only when it holds a comma, a quote, a line
/// break or edge spaces (`CSVFormatting`). Dates are written in the column's pattern. Cells
/// that a spreadsheet would run as a formula get a leading `'` (`CSVFormulaGuard`) unless
/// `formulaGuard` is off (`sink.csv_formula_guard: false`).
public final class CSVExportWriter: ExportWriter {
    let output: ExportFileOutput
    let formulaGuard: Bool

    public init(output: ExportFileOutput, formulaGuard: Bool = true) {
        self.output = output
        self.formulaGuard = formulaGuard
    }

    public func begin(columns: [ExportColumn]) throws {
        try output.write(CSVFormatting.line(columns.map(\.name)))
    }

    public func write(_ row: [ExportValue]) throws {
        try output.write(CSVFormatting.line(formulaGuard ? row.map { CSVFormulaGuard.guarded($0.text) } : row.map(\.text)))
    }

    public func finish() throws { try output.finish() }
}
