import Foundation

/// Writes exported rows to a file, one row at a time, in bounded memory.
public protocol ExportWriter: AnyObject {
    /// Starts the file with these column names.
    func begin(columns: [ExportColumn]) throws
    func write(_ row: [ExportValue]) throws
    /// Completes the file (closing brackets, the zip's central directory) and closes it.
    func finish() throws
}

/// The writer for each `sink.format`.
public enum ExportWriters {
    public static func make(_ sink: ExportPipelineConfig.Sink, path: String) throws -> any ExportWriter {
        let output = try ExportFileOutput(path: path, gzip: sink.gzip)
        switch sink.format {
        case .csv: return CSVExportWriter(output: output, formulaGuard: sink.csvFormulaGuard)
        case .json: return JSONExportWriter(output: output, lines: false)
        case .ndjson: return JSONExportWriter(output: output, lines: true)
        case .xlsx: return XLSXExportWriter(output: output, sheetName: sink.sheetName)
        }
    }
}
