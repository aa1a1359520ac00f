/// Every reader a pipeline can name as `source.reader`. A new reader is one file plus one line here.
public enum ReaderRegistry {
    public static let names = ["csv"]

    /// Opens the source with its reader, reading ahead on a second thread.
    public static func open(_ source: PipelineConfig.Source) throws -> any RecordReader {
        let reader: any RecordReader
        switch source.reader {
        case "csv": reader = try CSVReader(path: source.path, delimiter: source.delimiter)
        default: throw ReaderError.cannotOpen(path: source.path, reason: "no reader named \"\(source.reader)\"")
        }
        return PrefetchingReader(wrapping: reader)
    }
}
