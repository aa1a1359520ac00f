/// A reader as the registry knows it: its name in pipeline files, the file extensions it is
/// chosen for, the `source:` keys that apply to it, and how to open it.
public struct ReaderEntry: Sendable {
    public let name: String
    public let extensions: [String]
    /// `source:` keys beyond `file` and `reader`.
    public let optionKeys: [String]
    public let open: @Sendable (PipelineConfig.Source) throws -> any RecordReader
}

/// Every reader a pipeline can name as `source.reader`. A new reader is one file plus one line here.
public enum ReaderRegistry {
    public static let all: [ReaderEntry] = [
        ReaderEntry(name: "csv", extensions: ["csv", "txt", "tsv", "csv.gz", "txt.gz", "tsv.gz"], optionKeys: ["delimiter", "encoding"]) {
            try CSVReader(path: $0.path, delimiter: $0.delimiter, encoding: $0.encoding)
        },
        ReaderEntry(name: "xlsx", extensions: ["xlsx", "xlsm"], optionKeys: ["sheet", "header_row"]) {
            try XLSXReader(path: $0.path, sheet: $0.sheet, headerRow: $0.headerRow)
        },
        ReaderEntry(name: "xml", extensions: ["xml", "xml.gz"], optionKeys: ["record"]) { try XMLRecordReader(path: $0.path, recordElement: $0.recordElement, columns: $0.columns) },
        ReaderEntry(name: "json", extensions: ["json", "ndjson", "jsonl", "json.gz", "ndjson.gz", "jsonl.gz"], optionKeys: []) { try JSONRecordReader(path: $0.path, columns: $0.columns) },
    ]

    public static var names: [String] { all.map(\.name) }

    public static func entry(named name: String) -> ReaderEntry? { all.first { $0.name == name } }

    /// The reader for a file name's extension (`placement.xlsx` → xlsx), if one claims it.
    public static func entry(forPath path: String) -> ReaderEntry? {
        let lower = path.lowercased()
        return all.first { entry in entry.extensions.contains { lower.hasSuffix("." + $0) } }
    }

    /// Opens the source with its reader, reading ahead on a second thread. A file whose
    /// extension belongs to another reader (a rejects report `.csv.gz` fed back to an XLSX
    /// pipeline) is opened with that reader.
    public static func open(_ source: PipelineConfig.Source) throws -> any RecordReader {
        var source = source
        if let byExtension = entry(forPath: source.path), byExtension.name != source.reader {
            source.reader = byExtension.name
        }
        guard let entry = entry(named: source.reader) else {
            throw ReaderError.cannotOpen(path: source.path, reason: "no reader named \"\(source.reader)\"")
        }
        return PrefetchingReader(wrapping: try entry.open(source))
    }
}
