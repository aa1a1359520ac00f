import ArgumentParser
import ScollectETL

/// How to read a data file named on the command line (`guess`, `preview`): the reader named,
/// else the one the extension calls for; its `source:` keys as in a pipeline file, checked
/// against the reader's spec (`validate --explain READER` lists them).
struct DataFileOptions: ParsableArguments {
    @Option(help: "Reader: \(ReaderRegistry.names.joined(separator: ", ")) (default: from the file's extension, else csv; given, it wins over the extension).")
    var reader: String?

    @Option(name: .customLong("reader-option"),
            help: ArgumentHelp("A source: key of the reader, as in a pipeline file (repeatable), e.g. --reader-option header_row=3.",
                               valueName: "key=value"))
    var readerOptions: [String] = []

    @Option(help: "XLSX: the sheet, by name or 1-based index (default: the first); same as --reader-option sheet=….")
    var sheet: String?

    @Option(help: "XML: the element holding one record (default for guess: the first element that repeats); same as --reader-option record=….")
    var record: String?

    @Option(help: "CSV: the field separator (default ,); same as --reader-option delimiter=….")
    var delimiter: String?

    @Option(help: "CSV: utf-8, utf-16 or windows-1252 (default: detected); same as --reader-option encoding=….")
    var encoding: String?

    /// The reader's keys given, shorthands first.
    func words() throws -> [(String, String)] {
        var words: [(String, String)] = []
        if let sheet { words.append(("sheet", sheet)) }
        if let record { words.append(("record", record)) }
        if let delimiter { words.append(("delimiter", delimiter)) }
        if let encoding { words.append(("encoding", encoding.lowercased())) }
        for option in readerOptions {
            guard let equals = option.firstIndex(of: "="), equals != option.startIndex else {
                throw ValidationError("--reader-option takes key=value, found \"\(option)\"")
            }
            words.append((String(option[..<equals]), String(option[option.index(after: equals)...])))
        }
        return words
    }

    /// The reader `path` is read with.
    func readerName(for path: String) throws -> String {
        if let reader, ReaderRegistry.entry(named: reader) == nil {
            throw ValidationError("unknown reader \"\(reader)\" (available: \(ReaderRegistry.names.joined(separator: ", ")))")
        }
        return PipelineConfig.Source(path: path, reader: reader).reader
    }

    /// `adding`: keys the command works out itself (guess's record element).
    func source(for path: String, adding extra: [(String, String)] = []) throws -> PipelineConfig.Source {
        let name = try readerName(for: path)
        let given = try words() + extra
        let source = PipelineConfig.Source(path: path, reader: reader, words: given)
        let spec = source.reader(for: path).spec
        for (key, _) in given where spec.option(key) == nil {
            let keys = spec.keys.isEmpty ? "it takes none" : "it takes \(spec.keys.joined(separator: ", "))"
            throw ValidationError("\(key) is not an option of the \(name) reader (\(keys))")
        }
        for option in spec.options where option.required && !given.contains(where: { $0.0 == option.name }) {
            throw ValidationError("the \(name) reader needs --reader-option \(option.name)=…: \(option.help)")
        }
        do { _ = try source.readerOptions() } catch { throw ValidationError("\(error)") }
        return source
    }
}
