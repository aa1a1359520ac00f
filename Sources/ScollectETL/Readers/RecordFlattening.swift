/// What the XML and JSON readers share: a record read as (path, value) entries, a header made
/// from the paths of the first records, and each record aligned to that header.
///
/// Header rule: the leaf paths found in the first `Limits.headerScanRecords` records (or as many
/// as fit in `headerScanBytes`), in first-seen order, then every mapping column that names a
/// path found there exactly but is not a leaf (a JSON object or list, an XML element holding
/// other elements, `Phone[1]` for `Phone`). A column never seen in those records is left out of
/// the header, so the engine reports it missing with the closest header; a path that first
/// appears later in the file is not read.

/// A record as read, before it is aligned to the header.
struct FlatRecord {
    var row: Int
    var line: Int
    private(set) var paths: [String] = []
    private(set) var leaf: [Bool] = []
    /// Sort key for first-seen order (document order of where the value starts).
    private(set) var order: [Int] = []
    private(set) var bytes: [UInt8] = []
    private(set) var ends: [Int] = []
    /// Bytes of paths and values held: what the record costs in memory, roughly.
    private(set) var size = 0

    init(row: Int, line: Int) {
        self.row = row
        self.line = line
    }

    var count: Int { paths.count }

    mutating func append(_ path: String, _ value: UnsafeBufferPointer<UInt8>, leaf isLeaf: Bool, order key: Int) {
        paths.append(path)
        leaf.append(isLeaf)
        order.append(key)
        bytes.append(contentsOf: value)
        ends.append(bytes.count)
        size += value.count + path.utf8.count + 32
    }

    mutating func append(_ path: String, _ value: [UInt8], leaf isLeaf: Bool, order key: Int) {
        value.withUnsafeBufferPointer { append(path, $0, leaf: isLeaf, order: key) }
    }

    func range(_ index: Int) -> Range<Int> { (index == 0 ? 0 : ends[index - 1])..<ends[index] }

    func value(_ index: Int) -> String { String(decoding: bytes[range(index)], as: UTF8.self) }

    /// `path=value; …` for a rejects report, at most `limit` bytes.
    func summary(limit: Int) -> String {
        var text = ""
        for index in 0..<count {
            let part = (text.isEmpty ? "" : "; ") + paths[index] + "=" + value(index)
            if text.utf8.count + part.utf8.count > limit {
                text += "; …"
                break
            }
            text += part
        }
        return text
    }
}

enum FlatResult {
    case record(FlatRecord)
    case malformed(row: Int, line: Int, message: String, rawText: String)

    var size: Int {
        switch self {
        case .record(let record): return record.size
        case .malformed(_, _, let message, let rawText): return message.utf8.count + rawText.utf8.count
        }
    }
}

/// How many records make the header, and how large one may be.
public struct RecordReaderLimits: Sendable, Equatable {
    /// A record larger than this (bytes of input for JSON, of text and attribute values for
    /// XML) is rejected as malformed.
    public var maxRecordBytes: Int = 16 << 20
    /// The header is made from this many first records...
    public var headerScanRecords: Int = 1000
    /// ... or fewer when they hold more than this many bytes.
    public var headerScanBytes: Int = 64 << 20
    /// Longest raw text kept for a rejected record.
    public var maxRawTextBytes: Int = 64 << 10

    public init(maxRecordBytes: Int = 16 << 20, headerScanRecords: Int = 1000, headerScanBytes: Int = 64 << 20,
                maxRawTextBytes: Int = 64 << 10) {
        self.maxRecordBytes = maxRecordBytes
        self.headerScanRecords = headerScanRecords
        self.headerScanBytes = headerScanBytes
        self.maxRawTextBytes = maxRawTextBytes
    }
}

/// The header, and where each path's value goes in it.
struct RecordHeader {
    private(set) var names: [String] = []
    /// Path as the reader writes it → header positions (a column spelled differently, `Phone[1]`,
    /// shares the value of `Phone`).
    private var positions: [String: [Int]] = [:]

    init() {}

    /// `columns` are the mapping's columns as written; `canonical` turns one into the path form
    /// the reader produces.
    init(scanned: [FlatResult], columns: [String], canonical: (String) -> String) {
        var allPaths = Set<String>()
        for result in scanned {
            guard case .record(let record) = result else { continue }
            let indices = (0..<record.count).sorted { record.order[$0] < record.order[$1] }
            for index in indices {
                let path = record.paths[index]
                allPaths.insert(path)
                if record.leaf[index] && positions[path] == nil { add(name: path, path: path) }
            }
        }
        for written in columns {
            let column = blankTrimmed(written)
            guard !column.isEmpty, !names.contains(column) else { continue }
            let path = canonical(column)
            if allPaths.contains(path) { add(name: column, path: path) }
        }
    }

    private mutating func add(name: String, path: String) {
        positions[path, default: []].append(names.count)
        names.append(name)
    }

    /// The record's values in header order ("" for a path the record lacks; the last value when
    /// a path occurs twice).
    func align(_ record: FlatRecord) -> SourceRecord {
        var slots = [Int](repeating: -1, count: names.count)
        for index in 0..<record.count {
            guard let targets = positions[record.paths[index]] else { continue }
            for target in targets { slots[target] = index }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(record.bytes.count)
        var ends: [Int32] = []
        ends.reserveCapacity(names.count)
        record.bytes.withUnsafeBufferPointer { source in
            for slot in slots {
                if slot >= 0 { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[record.range(slot)])) }
                ends.append(Int32(truncatingIfNeeded: bytes.count))
            }
        }
        return SourceRecord(row: record.row, line: record.line, bytes: bytes, fieldEnds: ends)
    }
}

/// The first records, held while the header is made from them, then handed out in order.
struct HeaderScanBuffer {
    private var pending: [FlatResult] = []

    /// Reads up to the scan limits with `read` and returns the header made from what it read.
    mutating func fill(limits: RecordReaderLimits, columns: [String], canonical: (String) -> String,
                       read: () throws -> FlatResult?) throws -> (header: RecordHeader, reachedEnd: Bool) {
        var scanned: [FlatResult] = []
        var bytes = 0
        var reachedEnd = false
        while scanned.count < limits.headerScanRecords && bytes < limits.headerScanBytes {
            guard let result = try read() else {
                reachedEnd = true
                break
            }
            bytes += result.size
            scanned.append(result)
        }
        let header = RecordHeader(scanned: scanned, columns: columns, canonical: canonical)
        pending = scanned.reversed()
        return (header, reachedEnd)
    }

    var isEmpty: Bool { pending.isEmpty }

    mutating func next(header: RecordHeader) -> ReadResult? {
        guard let result = pending.popLast() else { return nil }
        return readResult(from: result, header: header)
    }
}

/// A flat result as the engine sees it.
func readResult(from result: FlatResult, header: RecordHeader) -> ReadResult {
    switch result {
    case .record(let record): return .record(header.align(record))
    case let .malformed(row, line, message, rawText): return .malformed(row: row, line: line, message: message, rawText: rawText)
    }
}

/// `text` without leading and trailing spaces, tabs and line breaks.
func blankTrimmed(_ text: String) -> String {
    var scalars = Substring(text).unicodeScalars
    while let first = scalars.first, first == " " || first == "\t" || first == "\n" || first == "\r" { scalars.removeFirst() }
    while let last = scalars.last, last == " " || last == "\t" || last == "\n" || last == "\r" { scalars.removeLast() }
    return String(scalars)
}
