/// RFC 4180 CSV: CRLF line ends, a field quoted only when it holds a comma, a quote, a line
/// break or edge spaces (`CSVFormatting`). Dates are written in the column's pattern.
public final class CSVExportWriter: ExportWriter {
    let output: ExportFileOutput

    public init(output: ExportFileOutput) { self.output = output }

    public func begin(columns: [ExportColumn]) throws {
        try output.write(CSVFormatting.line(columns.map(\.name)))
    }

    public func write(_ row: [ExportValue]) throws {
        try output.write(CSVFormatting.line(row.map(\.text)))
    }

    public func finish() throws { try output.finish() }
}
