/// One data row of a source file, as the reader saw it.
///
/// Values are kept as one contiguous UTF-8 buffer plus field end offsets, so a 30-column row
/// costs two allocations instead of thirty; a `String` is made only for the fields asked for.
public struct SourceRecord: Sendable {
    /// 1-based data row number (the header is not counted).
    public let row: Int
    /// 1-based physical line of the file where the record starts (the header is line 1).
    public let line: Int
    @usableFromInline let bytes: [UInt8]
    /// `fieldEnds[i]` is the end offset of field `i` in `bytes`; field `i` starts at `fieldEnds[i-1]`.
    @usableFromInline let fieldEnds: [Int32]
    /// Cells read as empty because they hold an error value (XLSX `#N/A`); almost always none.
    public internal(set) var cellErrors: [CellError] = []

    public init(row: Int, line: Int, bytes: [UInt8], fieldEnds: [Int32]) {
        self.row = row
        self.line = line
        self.bytes = bytes
        self.fieldEnds = fieldEnds
    }

    /// Convenience for tests and non-CSV readers.
    public init(row: Int, line: Int, values: [String]) {
        var bytes: [UInt8] = []
        var ends: [Int32] = []
        for value in values {
            bytes.append(contentsOf: value.utf8)
            ends.append(Int32(bytes.count))
        }
        self.init(row: row, line: line, bytes: bytes, fieldEnds: ends)
    }

    public var count: Int { fieldEnds.count }

    /// The value of field `index`, or "" when the row has fewer fields.
    @inlinable
    public func value(at index: Int) -> String {
        guard index >= 0, index < fieldEnds.count else { return "" }
        let start = index == 0 ? 0 : Int(fieldEnds[index - 1])
        let end = Int(fieldEnds[index])
        return bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        }
    }

    /// Runs `body` on the UTF-8 bytes of field `index` (empty when absent), without making a String.
    @inlinable
    public func withValueBytes<R>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        guard index >= 0, index < fieldEnds.count else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        let start = index == 0 ? 0 : Int(fieldEnds[index - 1])
        let end = Int(fieldEnds[index])
        return bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }

    /// The length in bytes of field `index` (0 when absent), without making a String.
    @inlinable
    public func byteCount(at index: Int) -> Int {
        guard index >= 0, index < fieldEnds.count else { return 0 }
        let start = index == 0 ? 0 : Int(fieldEnds[index - 1])
        return Int(fieldEnds[index]) - start
    }

    public var values: [String] { (0..<count).map { value(at: $0) } }
}

/// A cell read as empty because it holds an error value: its header column (0-based), its
/// reference (`D5`) and the error (`#N/A`).
public struct CellError: Sendable, Equatable {
    public let column: Int
    public let cell: String
    public let value: String
}

extension ReasonCode {
    /// Warning: a mapped cell holds an error value (`#N/A`) and was read as empty.
    public static let cellError = ReasonCode("CELL_ERROR")
}

/// What a reader hands the engine: a record, or a row it could not read.
public enum ReadResult: Sendable {
    case record(SourceRecord)
    /// A row that could not be parsed; the reader has already moved on past it.
    /// `rawText` is the row's text as found (possibly cut short), for the rejects report.
    case malformed(row: Int, line: Int, message: String, rawText: String)

    /// The 1-based data row number.
    public var row: Int {
        switch self {
        case let .record(record): return record.row
        case let .malformed(row, _, _, _): return row
        }
    }
}

/// Errors that stop reading the whole file (as opposed to one malformed row).
public enum ReaderError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case ioError(path: String, reason: String)
    case duplicateHeader(path: String, name: String, columns: [Int])

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open: \(reason)"
        case let .ioError(path, reason): return "\(path): read error: \(reason)"
        case let .duplicateHeader(path, name, columns):
            return "\(path): header: column name \"\(name)\" appears more than once (columns \(columns.map(String.init).joined(separator: ", ")))"
        }
    }
}

/// A streaming source of records. Memory stays bounded whatever the file size.
public protocol RecordReader: AnyObject {
    /// Column names from the header row, trimmed; empty for an empty file.
    var header: [String] { get }
    /// The file being read, for messages.
    var path: String { get }
    /// The next row, or nil at end of input. Throws only for errors that end the file.
    func next() throws -> ReadResult?
    /// Things a person should know about how the file was read (e.g. a guessed encoding),
    /// known once the reader is open.
    var notices: [String] { get }
}

extension RecordReader {
    public var notices: [String] { [] }
}
