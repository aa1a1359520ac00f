/// Reads records from JSON: a top-level array of objects (`[{…}, {…}]`), or NDJSON / JSON Lines
/// (one object per line). The first byte that is not whitespace decides: `[` → array, `{` →
/// NDJSON; an empty file or `[]` holds no records. Plain or gzip input, streamed in bounded memory
/// by `StreamingJSONParser` (strict RFC 8259; no Foundation, numbers kept as written).
///
/// A record is one object. Values are named by paths inside it: `debtor.ssn`, list items by
/// 0-based index (`phones.0.number`). Strings come unescaped, numbers as their literal text
/// (`1234.50` stays `1234.50`), booleans as `true`/`false`, null as an empty value. A mapping
/// column naming an object or a list gets its compact JSON text (`[{"due":"2026-01-01",…}]`),
/// so a field can carry a nested list such as a payment schedule. Keys holding dots make
/// paths ambiguous (`{"a.b":1}` and `{"a":{"b":1}}` are both `a.b`); the later value wins, as
/// for a key repeated in one object.
///
/// Header: the leaf paths of the first 1,000 records in first-seen order, plus the mapping's
/// columns that name an object or list found there (see `RecordHeader`). **Limit**: a path that
/// first appears after those records is not read, and a mapping column none of them has is left
/// out of the header, so the run stops naming the closest header rather than reading it later.
///
/// Rejected rows (`.malformed`), reading goes on:
/// - an array item or NDJSON line that is not an object;
/// - a record larger than `limits.maxRecordBytes` (16 MiB);
/// - invalid UTF-8 inside a string, or a `\u` escape naming a lone surrogate (named by byte offset);
/// - NDJSON only: a line that is not valid JSON (reading resumes on the next line). A file whose
///   first record is an object spread over several lines is refused as a whole instead.
/// A syntax error in an array file ends the file: `ReaderError.ioError` naming line, column and
/// byte offset.
public final class JSONRecordReader: RecordReader {
    public enum Layout: Sendable, Equatable {
        /// `[ {…}, {…} ]`
        case array
        /// One object per line.
        case lines
        /// Nothing but whitespace.
        case empty
    }

    public let path: String
    public private(set) var header: [String] = []
    public private(set) var layout: Layout = .empty
    public let limits: RecordReaderLimits

    private let parser: StreamingJSONParser
    /// Mapping columns that may name an object or list: their compact JSON text is kept.
    private let wanted: Set<String>
    private var recordHeader = RecordHeader()
    private var buffer = HeaderScanBuffer()
    private var row = 0
    private var finished = false

    public convenience init(path: String, columns: [String] = [], limits: RecordReaderLimits = .init()) throws {
        try self.init(source: openByteSource(path: path), path: path, columns: columns, limits: limits,
                      chunkSize: StreamingJSONParser.defaultChunkSize)
    }

    /// Reads from any byte source; `chunkSize` is exposed so tests can put chunk boundaries everywhere.
    init(source: ByteSource, path: String, columns: [String], limits: RecordReaderLimits = .init(), chunkSize: Int) throws {
        self.path = path
        self.limits = limits
        wanted = Set(columns.map(blankTrimmed).filter { !$0.isEmpty })
        parser = StreamingJSONParser(source: source, framing: .single, maxTokenBytes: limits.maxRecordBytes, chunkSize: chunkSize)

        switch try parser.firstSignificantByte() {
        case nil:
            layout = .empty
        case UInt8(ascii: "[")?:
            layout = .array
            _ = try syntax { try parser.next() }
        case UInt8(ascii: "{")?:
            layout = .lines
            parser.framing = .lines
        case let other?:
            throw ReaderError.cannotOpen(path: path, reason: "not a JSON array of records nor NDJSON: the file must start with '[' or '{', "
                                         + "not \(Self.describe(other)) (line \(parser.line), byte offset \(parser.offset))")
        }
        let (header, _) = try buffer.fill(limits: limits, columns: columns, canonical: { $0 }, read: readFlat)
        recordHeader = header
        self.header = header.names
    }

    public func next() throws -> ReadResult? {
        if !buffer.isEmpty { return buffer.next(header: recordHeader) }
        return try readFlat().map { readResult(from: $0, header: recordHeader) }
    }

    // MARK: - Records

    private func readFlat() throws -> FlatResult? {
        switch layout {
        case .empty:
            return nil
        case .array:
            if finished { return nil }
            let event = try syntax { try parser.next() }
            switch event {
            case .arrayEnd:
                // Only whitespace may follow the array.
                _ = try syntax { try parser.next() }
                finished = true
                return nil
            case .end:
                finished = true
                return nil
            default:
                return try readItem(first: event)
            }
        case .lines:
            let event: StreamingJSONParser.Event
            do {
                event = try parser.next()
            } catch let error as StreamingJSONParser.SyntaxError {
                // Text between records (after a record on its line, or a line of garbage).
                row += 1
                parser.beginCapture(at: error.offset, limit: limits.maxRawTextBytes)
                defer { parser.endCapture() }
                return try lineMalformed(error, row: row, line: error.line)
            }
            if event == .end { return nil }
            return try readItem(first: event)
        }
    }

    /// One array item or NDJSON line, starting with its first event.
    private func readItem(first: StreamingJSONParser.Event) throws -> FlatResult {
        row += 1
        let recordRow = row
        let recordLine = parser.eventLine
        let start = parser.eventOffset
        let baseDepth = first == .objectStart || first == .arrayStart ? parser.depth - 1 : parser.depth
        parser.beginCapture(at: start, limit: limits.maxRawTextBytes)
        parser.clearTextIssue()
        defer { parser.endCapture() }

        do {
            guard first == .objectStart else {
                var rawText: String
                switch first {
                case .string:
                    var quoted: [UInt8] = []
                    appendJSONString(parser.token, to: &quoted)
                    rawText = String(decoding: quoted, as: UTF8.self)
                case .number: rawText = String(decoding: parser.token, as: UTF8.self)
                case .bool(let value): rawText = value ? "true" : "false"
                case .null: rawText = "null"
                default:
                    while parser.depth > baseDepth { _ = try parser.next() }
                    rawText = parser.capturedText(upTo: parser.offset)
                }
                let place = layout == .array ? "item \(recordRow) of the array" : "line \(recordLine)"
                return .malformed(row: recordRow, line: recordLine, message: "\(place) is \(Self.kind(first)), not an object",
                                  rawText: rawText)
            }
            var record = FlatRecord(row: recordRow, line: recordLine)
            var flattener = JSONFlattener(wanted: wanted)
            var oversize = false
            while parser.depth > baseDepth {
                let event = try parser.next()
                if !oversize && (parser.offset - start > limits.maxRecordBytes || parser.tokenTruncated) {
                    oversize = true
                    if layout == .lines && parser.depth > baseDepth {
                        // No need to parse the rest of the line (it may be huge).
                        let lineBreak = try parser.skipToNextLine()
                        return tooLarge(recordRow, recordLine, parser.capturedText(upTo: lineBreak))
                    }
                }
                if !oversize { flattener.take(event, parser: parser, into: &record) }
            }
            if oversize { return tooLarge(recordRow, recordLine, parser.capturedText(upTo: parser.offset)) }
            if let issue = parser.textIssue {
                return .malformed(row: recordRow, line: recordLine, message: "\(issue.message) at byte offset \(issue.offset)",
                                  rawText: parser.capturedText(upTo: parser.offset))
            }
            return .record(record)
        } catch let error as StreamingJSONParser.SyntaxError {
            if layout == .array { throw invalidJSON(error) }
            return try lineMalformed(error, row: recordRow, line: recordLine)
        }
    }

    private func tooLarge(_ row: Int, _ line: Int, _ rawText: String) -> FlatResult {
        .malformed(row: row, line: line, message: "record larger than \(limits.maxRecordBytes) bytes", rawText: rawText)
    }

    /// An NDJSON line that is not valid JSON: reported, and reading resumes on the next line.
    private func lineMalformed(_ error: StreamingJSONParser.SyntaxError, row: Int, line: Int) throws -> FlatResult {
        let lineBreak = try syntax { try parser.skipToNextLine() }
        var rawText = parser.capturedText(upTo: lineBreak)
        if rawText.hasSuffix("\r") { rawText.removeLast() }
        if row == 1 && error.message.hasPrefix("the record does not end on this line") && blankTrimmed(rawText) == "{" {
            throw ReaderError.cannotOpen(path: path, reason: "the file starts with '{', so it is read as NDJSON (one object per line), "
                                         + "but its first object runs over several lines; write one record per line, or put the records in an array [ … ]")
        }
        return .malformed(row: row, line: line, message: "not valid JSON at \(error)", rawText: rawText)
    }

    private func invalidJSON(_ error: StreamingJSONParser.SyntaxError) -> ReaderError {
        .ioError(path: path, reason: "not valid JSON at \(error)")
    }

    /// Runs a parser step whose syntax errors end the file.
    private func syntax<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StreamingJSONParser.SyntaxError {
            throw invalidJSON(error)
        }
    }

    private static func kind(_ event: StreamingJSONParser.Event) -> String {
        switch event {
        case .arrayStart: return "a list"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        default: return "not a value"
        }
    }

    private static func describe(_ byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }
}

/// Turns one record's events into (path, value) entries.
private struct JSONFlattener {
    struct Frame {
        var path: String
        var isObject: Bool
        var nextIndex = 0
        /// Members or items written to `serial` so far (for commas).
        var serialCount = 0
        /// Where this container's compact text starts in `serial`, when a column wants it.
        var captureFrom: Int?
    }

    let wanted: Set<String>
    var frames = [Frame(path: "", isObject: true)]
    var key = ""
    /// Compact JSON text of the containers being captured (nested captures share it).
    var serial: [UInt8] = []
    var activeCaptures = 0
    var order = 0

    init(wanted: Set<String>) { self.wanted = wanted }

    mutating func take(_ event: StreamingJSONParser.Event, parser: StreamingJSONParser, into record: inout FlatRecord) {
        switch event {
        case .key:
            key = String(decoding: parser.token, as: UTF8.self)
            if activeCaptures > 0 {
                let top = frames.count - 1
                if frames[top].serialCount > 0 { serial.append(UInt8(ascii: ",")) }
                frames[top].serialCount += 1
                appendJSONString(parser.token, to: &serial)
                serial.append(UInt8(ascii: ":"))
            }
        case .string, .number:
            leaf(childPath(), parser.token, into: &record) { serial in
                if event == .string { appendJSONString(parser.token, to: &serial) } else { serial.append(contentsOf: parser.token) }
            }
        case .bool(let value):
            let text = value ? trueBytes : falseBytes
            leaf(childPath(), text, into: &record) { $0.append(contentsOf: text) }
        case .null:
            leaf(childPath(), [], into: &record) { $0.append(contentsOf: nullBytes) }
        case .objectStart, .arrayStart:
            let path = childPath()
            if activeCaptures > 0 { separate() }
            var frame = Frame(path: path, isObject: event == .objectStart)
            if wanted.contains(path) {
                if activeCaptures == 0 { serial.removeAll(keepingCapacity: true) }
                frame.captureFrom = serial.count
                activeCaptures += 1
            }
            if activeCaptures > 0 { serial.append(event == .objectStart ? UInt8(ascii: "{") : UInt8(ascii: "[")) }
            frames.append(frame)
        case .objectEnd, .arrayEnd:
            guard frames.count > 1 else { return }
            let frame = frames.removeLast()
            if activeCaptures > 0 { serial.append(event == .objectEnd ? UInt8(ascii: "}") : UInt8(ascii: "]")) }
            if let from = frame.captureFrom {
                serial.withUnsafeBufferPointer { record.append(frame.path, UnsafeBufferPointer(rebasing: $0[from...]), leaf: false, order: order) }
                order += 1
                activeCaptures -= 1
            }
        case .end:
            break
        }
    }

    private mutating func leaf(_ path: String, _ value: [UInt8], into record: inout FlatRecord, serialize: (inout [UInt8]) -> Void) {
        record.append(path, value, leaf: true, order: order)
        order += 1
        if activeCaptures > 0 {
            separate()
            serialize(&serial)
        }
    }

    /// The comma before an array item in the captured text (object members get theirs with the key).
    private mutating func separate() {
        let top = frames.count - 1
        guard !frames[top].isObject else { return }
        if frames[top].serialCount > 0 { serial.append(UInt8(ascii: ",")) }
        frames[top].serialCount += 1
    }

    private mutating func childPath() -> String {
        let top = frames.count - 1
        let component: String
        if frames[top].isObject {
            component = key
        } else {
            component = String(frames[top].nextIndex)
            frames[top].nextIndex += 1
        }
        return frames[top].path.isEmpty ? component : frames[top].path + "." + component
    }
}

private let trueBytes = Array("true".utf8)
private let falseBytes = Array("false".utf8)
private let nullBytes = Array("null".utf8)

/// `bytes` as a JSON string literal, escaping only what must be escaped.
private func appendJSONString(_ bytes: [UInt8], to out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
        case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
        case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case 0..<0x20: out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
        default: out.append(byte)
        }
    }
    out.append(UInt8(ascii: "\""))
}

// MARK: - As a pipeline's reader

extension JSONRecordReader: ReaderComponent {
    public struct SourceOptions: ReaderOptions {}

    public static let extensions = ["json", "ndjson", "jsonl", "json.gz", "ndjson.gz", "jsonl.gz"]

    public static let spec = ComponentSpec(.reader, "json",
        summary: "A top-level array of records, or NDJSON, streamed; paths debtor.ssn, phones.0.number; numbers keep their literal text.",
        example: "source:\n  file: ../SampleData/placement.json\n  reader: json")

    public static func options(_ section: ConfigSection) throws -> SourceOptions { SourceOptions() }

    public static func open(path: String, options: SourceOptions, columns: [String]) throws -> any RecordReader {
        try JSONRecordReader(path: path, columns: columns)
    }
}
