import ArgumentParser
import ScollectETL

/// How to read a data file named on the command line (`guess`, `preview`): the reader comes
/// from the extension unless given.
struct DataFileOptions: ParsableArguments {
    @Option(help: "Reader: \(ReaderRegistry.names.joined(separator: ", ")) (default: from the file's extension).")
    var reader: String?

    @Option(help: "XLSX: the sheet, by name or 1-based index (default: the first).")
    var sheet: String?

    @Option(help: "XML: the element holding one record (default for guess: the first element that repeats).")
    var record: String?

    @Option(help: "CSV: the field separator (default ,).")
    var delimiter: String?

    @Option(help: "CSV: utf-8, utf-16 or windows-1252 (default: detected).")
    var encoding: String?

    func source(for path: String) throws -> PipelineConfig.Source {
        let name = reader ?? ReaderRegistry.entry(forPath: path)?.name ?? "csv"
        guard ReaderRegistry.entry(named: name) != nil else {
            throw ValidationError("unknown reader \"\(name)\" (available: \(ReaderRegistry.names.joined(separator: ", ")))")
        }
        var source = PipelineConfig.Source(path: path, reader: name)
        source.sheet = sheet
        source.recordElement = record
        if let delimiter {
            guard delimiter.utf8.count == 1 || delimiter == "tab" else { throw ValidationError("--delimiter must be one character or \"tab\"") }
            source.delimiter = delimiter == "tab" ? 9 : delimiter.utf8.first!
        }
        if let encoding {
            guard let value = PipelineConfig.TextEncoding(rawValue: encoding.lowercased()) else {
                throw ValidationError("--encoding must be one of \(PipelineConfig.TextEncoding.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            source.encoding = value
        }
        return source
    }
}
