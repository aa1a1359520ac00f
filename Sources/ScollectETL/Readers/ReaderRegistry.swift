import Foundation

/// A reader's `source:` options, parsed by the reader from its own keys, and what the engine
/// needs to know of the reader beyond its records.
public protocol ReaderOptions: Sendable {
    /// The delimiter of a row's raw text (the rejects report masks card columns in it); nil
    /// when the raw text is not delimited.
    var rawTextDelimiter: UInt8? { get }
    /// False for a reader that reads at explicit offsets (XLSX): progress then counts rows, not
    /// the file position.
    var readsSequentially: Bool { get }
    /// The cells of a row the reader handed over as malformed (a trailer row has fewer cells
    /// than the header).
    func cells(ofRawText text: String) -> [String]
}

extension ReaderOptions {
    public var rawTextDelimiter: UInt8? { nil }
    public var readsSequentially: Bool { true }
    public func cells(ofRawText text: String) -> [String] {
        let delimiter = Character(UnicodeScalar(rawTextDelimiter ?? UInt8(ascii: ",")))
        return text.split(separator: delimiter, omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .init(charactersIn: "\"\r\n ")) }
    }
}

/// A reader a pipeline can name as `source.reader`: its spec (name, `source:` keys), the file
/// extensions it is chosen for, how it parses its keys and opens a file. Declared next to the
/// reader; registered with one line in `ReaderRegistry.all`.
public protocol ReaderComponent {
    associatedtype Options: ReaderOptions
    static var spec: ComponentSpec { get }
    /// Lower-case, without the dot (`csv.gz`).
    static var extensions: [String] { get }
    /// From the `source:` keys of its spec (already checked against it).
    static func options(_ section: ConfigSection) throws -> Options
    /// `columns`: the columns the mapping reads (paths inside a record for XML and JSON).
    static func open(path: String, options: Options, columns: [String]) throws -> any RecordReader
}

/// A registered reader, its type erased.
public struct ReaderEntry: Sendable {
    public let spec: ComponentSpec
    public let extensions: [String]
    let parse: @Sendable (ConfigSection) throws -> any ReaderOptions
    let opener: @Sendable (String, any ReaderOptions, [String]) throws -> any RecordReader

    public init<R: ReaderComponent>(_ reader: R.Type) {
        spec = R.spec
        extensions = R.extensions
        parse = { try R.options($0) }
        opener = { path, options, columns in try R.open(path: path, options: options as! R.Options, columns: columns) }
    }

    public var name: String { spec.name }
    /// `source:` keys beyond `file` and `reader`.
    public var optionKeys: [String] { spec.keys }

    /// Its options from a `source:` section (keys of other readers left out), checked against its spec.
    public func options(_ section: ConfigSection) throws -> any ReaderOptions {
        let own = section.only(spec.keys)
        for option in spec.options {
            if let value = own[option.name] { try option.check(value) } else if option.required { _ = try own.required(option.name) }
        }
        return try parse(own)
    }

    public func open(path: String, options: any ReaderOptions, columns: [String]) throws -> any RecordReader {
        try opener(path, options, columns)
    }
}

/// Every reader a pipeline can name as `source.reader`. A new reader is one file plus one line here.
public enum ReaderRegistry {
    public static let all: [ReaderEntry] = [
        ReaderEntry(CSVReader.self),
        ReaderEntry(XLSXReader.self),
        ReaderEntry(XMLRecordReader.self),
        ReaderEntry(JSONRecordReader.self),
    ]

    public static var names: [String] { all.map(\.name) }

    public static func entry(named name: String) -> ReaderEntry? { all.first { $0.name == name } }

    /// The reader for a file name's extension (`placement.xlsx` → xlsx), if one claims it.
    public static func entry(forPath path: String) -> ReaderEntry? { entry(forPath: path, in: all) }

    static func entry(forPath path: String, in readers: [ReaderEntry]) -> ReaderEntry? {
        let lower = path.lowercased()
        return readers.first { entry in entry.extensions.contains { lower.hasSuffix("." + $0) } }
    }

    /// Opens the source with its reader (see `PipelineConfig.Source.reader(for:)`), reading
    /// ahead on a second thread.
    public static func open(_ source: PipelineConfig.Source) throws -> any RecordReader {
        try source.open()
    }
}
