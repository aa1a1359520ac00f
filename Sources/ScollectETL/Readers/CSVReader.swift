#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming RFC 4180 reader (plain or gzip input), in constant memory.
///
/// - Records end with LF, CRLF or a lone CR; the last one may lack a line break.
/// - Quoted fields may hold delimiters, doubled quotes (`""`) and line breaks; spaces/tabs
///   right around a quoted field are dropped. Unquoted fields are kept exactly as found.
/// - A completely empty line is skipped (it still counts as a line).
/// - A malformed row comes back as `.malformed` and reading goes on with the next row.
///   When a quote problem makes a record swallow later lines (a quoted field still open at end
///   of file, a record longer than `maxRecordBytes`, or a quoted field running over line
///   breaks whose closing quote is followed by text), only the record's first physical line
///   is reported and the bytes after it are parsed again, so one stray quote costs one row.
///
/// Memory: one read buffer (one chunk plus the record in progress, at most
/// `maxRecordBytes` + one chunk) and scratch space for one record.
public final class CSVReader: RecordReader {
    public let path: String
    public private(set) var header: [String] = []
    public let delimiter: UInt8
    public let maxRecordBytes: Int
    /// Things a person should know about how the file was read (a guessed encoding).
    public private(set) var notices: [String] = []

    /// Bytes asked of the source per read.
    static let defaultChunkSize = 256 * 1024

    private let source: ByteSource
    private let chunkSize: Int

    // Read window: buf[pos..<end] is unparsed input; buf[0] is at `bufOffset` in the
    // (decompressed) file. A record being parsed always starts at `pos` and stays in the
    // window until it is complete, so a failed record can be parsed again from any point:
    // that is the push-back that needs no seeking.
    private var buf: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var pos = 0
    private var end = 0
    private var bufOffset = 0
    private var eof = false

    /// The last line break consumed was a CR at the end of the window: drop a following LF.
    private var skipLF = false
    /// A line longer than `maxRecordBytes` was reported; drop input up to the next line break.
    private var discarding = false
    private var readingHeader = true

    /// Physical line (1-based) at `pos`.
    private var line = 1
    /// Data rows handed out so far, records and malformed.
    private var row = 0

    // Scratch for one record: its field bytes, and field end offsets.
    private var out: UnsafeMutablePointer<UInt8>
    private var outCapacity: Int
    private var ends: UnsafeMutablePointer<Int32>
    private var endsCapacity: Int

    /// Per byte value: 1 = stops an unquoted field (delimiter, quote, CR, LF),
    /// 2 = stops quoted text (quote, CR, LF), 4 = blank tolerated around a quoted field.
    private let table: UnsafeMutablePointer<UInt8>

    public convenience init(path: String, delimiter: UInt8 = UInt8(ascii: ","), encoding: PipelineConfig.TextEncoding? = nil,
                            maxRecordBytes: Int = 1 << 20) throws {
        let (source, notice) = try TextDecoding.openUTF8(path: path, declared: encoding)
        try self.init(source: source, path: path, delimiter: delimiter, maxRecordBytes: maxRecordBytes,
                      chunkSize: CSVReader.defaultChunkSize)
        if let notice { notices.append(notice) }
    }

    /// Reads from any byte source; `chunkSize` is exposed so tests can put chunk boundaries
    /// everywhere.
    init(source: ByteSource, path: String, delimiter: UInt8 = UInt8(ascii: ","), maxRecordBytes: Int = 1 << 20,
         chunkSize: Int) throws {
        precondition(delimiter < 0x80 && delimiter != quoteByte && delimiter != lfByte && delimiter != crByte,
                     "CSV delimiter must be an ASCII byte other than quote, CR and LF")
        precondition(maxRecordBytes > 0 && maxRecordBytes < Int(Int32.max) / 2, "maxRecordBytes out of range")
        precondition(chunkSize > 0)
        self.source = source
        self.path = path
        self.delimiter = delimiter
        self.maxRecordBytes = maxRecordBytes
        self.chunkSize = chunkSize

        // Room for a chunk plus a typical record carried over from the previous chunk.
        capacity = chunkSize + 4096
        buf = .allocate(capacity: capacity)
        outCapacity = min(chunkSize, maxRecordBytes + 1)
        out = .allocate(capacity: outCapacity)
        endsCapacity = 64
        ends = .allocate(capacity: endsCapacity)
        table = .allocate(capacity: 256)
        table.initialize(repeating: 0, count: 256)
        table[Int(delimiter)] |= 1
        for b in [quoteByte, lfByte, crByte] { table[Int(b)] |= 3 }
        for b in [UInt8(ascii: " "), UInt8(ascii: "\t")] where b != delimiter { table[Int(b)] |= 4 }

        try readHeader()
    }

    deinit {
        buf.deallocate()
        out.deallocate()
        ends.deallocate()
        table.deallocate()
    }

    // MARK: - Header

    private func readHeader() throws {
        while end < 3 && !eof { try refill() }
        if end >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { pos = 3 }

        readingHeader = true
        defer { readingHeader = false }
        guard let first = try next() else { return }
        row = 0
        switch first {
        case .record(let record):
            header = record.values.map(trimBlanks)
        case .malformed(_, _, let message, _):
            throw ReaderError.ioError(path: path, reason: "header row: \(message)")
        }
        var seen: [String: [Int]] = [:]
        for (index, name) in header.enumerated() where !name.isEmpty {
            seen[name, default: []].append(index + 1)
        }
        if let duplicate = header.first(where: { (seen[$0]?.count ?? 0) > 1 }) {
            throw ReaderError.duplicateHeader(path: path, name: duplicate, columns: seen[duplicate]!)
        }
    }

    // MARK: - Records

    public func next() throws -> ReadResult? {
        while true {
            if discarding {
                var k = pos
                while k < end && buf[k] != lfByte && buf[k] != crByte { k &+= 1 }
                if k == end {
                    pos = end
                    if eof { discarding = false } else { try refill() }
                    continue
                }
                line += 1
                consumeLineBreak(at: k)
                discarding = false
                continue
            }
            if pos == end {
                if eof { return nil }
                try refill()
                continue
            }
            let first = buf[pos]
            if skipLF {
                skipLF = false
                if first == lfByte { pos &+= 1; continue }
            }
            if first == lfByte || first == crByte {
                // An empty line.
                line += 1
                consumeLineBreak(at: pos)
                continue
            }
            let need = min(end - pos, maxRecordBytes + 1)
            if need > outCapacity { growOut(to: need) }
            switch parseRecord(at: pos) {
            case .needMore:
                try refill()
            case .complete(let done):
                return finish(done)
            case .tooLong:
                return recover(message: "record longer than \(maxRecordBytes) bytes")
            case .openQuoteAtEOF:
                return recover(message: "quoted field still open at end of file")
            case .quoteRunsOverLines(let field):
                return recover(message: "unbalanced quote in field \(field): the quoted text runs over a line break and its closing quote is followed by text")
            }
        }
    }

    private struct Completed {
        var recordEnd: Int      // window index just past the record's last byte (before the line break)
        var next: Int           // window index where the following record starts
        var lines: Int          // line breaks consumed, including the terminator
        var skipLF: Bool
        var fields: Int
        var bytes: Int
        var error: FieldError
        var errorField: Int
    }

    private enum FieldError: UInt8 {
        case none, quoteInUnquotedField, textAfterClosingQuote
    }

    private enum Outcome {
        case needMore
        case complete(Completed)
        case tooLong
        case openQuoteAtEOF
        case quoteRunsOverLines(field: Int)
    }

    /// Parses the record starting at window index `s` into the scratch buffers. Restartable:
    /// on `.needMore` nothing has been committed, and after a refill parsing starts over at the
    /// record's first byte (a record spans a refill rarely; the cost is bounded by its size).
    private func parseRecord(at s: Int) -> Outcome {
        let p = UnsafePointer(buf)
        let windowEnd = end
        let hardEnd = s &+ maxRecordBytes &+ 1
        let limitEnd = windowEnd < hardEnd ? windowEnd : hardEnd
        let overLong = limitEnd &- s > maxRecordBytes
        let atEOF = eof && limitEnd == windowEnd && !overLong
        let limit: Outcome = overLong ? .tooLong : .needMore
        let tbl = UnsafePointer(table)
        let delim = delimiter
        let delimiterPattern = UInt64(delim) &* lowBits
        let o = out
        var fe = ends
        var feCapacity = endsCapacity
        var i = s
        var n = 0
        var nf = 0
        var lines = 0
        var error = FieldError.none
        var errorField = 0

        @inline(__always) func copy(_ from: Int, _ to: Int) {
            let count = to &- from
            if count >= 8 && count <= 16 {
                // Most fields: two overlapping 8-byte moves instead of a call to memcpy.
                let source = UnsafeRawPointer(p + from), target = UnsafeMutableRawPointer(o + n)
                let head = source.loadUnaligned(as: UInt64.self)
                let tail = source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
                target.storeBytes(of: head, as: UInt64.self)
                target.storeBytes(of: tail, toByteOffset: count &- 8, as: UInt64.self)
                n &+= count
            } else if count > 0 {
                (o + n).update(from: p + from, count: count)
                n &+= count
            }
        }
        @inline(__always) func endField() {
            if nf == feCapacity {
                growEnds()
                fe = ends
                feCapacity = endsCapacity
            }
            fe[nf] = Int32(truncatingIfNeeded: n)
            nf &+= 1
        }
        @inline(__always) func complete(_ recordEnd: Int, terminator: Bool) -> Outcome {
            var next = recordEnd
            var skip = false
            if terminator {
                next = recordEnd &+ 1
                if p[recordEnd] == crByte {
                    if next < windowEnd {
                        if p[next] == lfByte { next &+= 1 }
                    } else {
                        skip = !eof
                    }
                }
            }
            return .complete(Completed(recordEnd: recordEnd, next: next, lines: terminator ? lines &+ 1 : lines,
                                       skipLF: skip, fields: nf, bytes: n, error: error, errorField: errorField))
        }

        fieldLoop: while true {
            // Field start.
            if i >= limitEnd {
                if atEOF { endField(); return complete(limitEnd, terminator: false) }
                return limit
            }
            var b = p[i]
            if tbl[Int(b)] & 4 != 0 {
                // Blanks: before a quote they are dropped, otherwise they are field content.
                var j = i &+ 1
                while j < limitEnd && tbl[Int(p[j])] & 4 != 0 { j &+= 1 }
                if j < limitEnd {
                    if p[j] == quoteByte { i = j; b = quoteByte }
                } else if !atEOF {
                    return limit
                }
            }

            if b != quoteByte {
                // Unquoted field: runs to a delimiter or line break.
                var k = i
                while true {
                    // Eight bytes at a time, then byte by byte near the end of the window.
                    while k &+ 8 <= limitEnd {
                        let hits = matchMask(UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(fromByteOffset: k, as: UInt64.self)),
                                             delimiterPattern, quotePattern, lfPattern, crPattern)
                        if hits != 0 { k &+= hits.trailingZeroBitCount >> 3; break }
                        k &+= 8
                    }
                    while k < limitEnd && tbl[Int(p[k])] & 1 == 0 { k &+= 1 }
                    if k >= limitEnd {
                        if atEOF { copy(i, k); endField(); return complete(limitEnd, terminator: false) }
                        return limit
                    }
                    if p[k] != quoteByte { break }
                    if error == .none { error = .quoteInUnquotedField; errorField = nf &+ 1 }
                    k &+= 1
                }
                copy(i, k)
                endField()
                if p[k] == delim { i = k &+ 1; continue fieldLoop }
                return complete(k, terminator: true)
            }

            // Quoted field; its opening quote is at i.
            var k = i &+ 1
            var segment = k
            var spansLines = false
            while true {
                while k &+ 8 <= limitEnd {
                    let hits = matchMask(UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(fromByteOffset: k, as: UInt64.self)),
                                         quotePattern, quotePattern, lfPattern, crPattern)
                    if hits != 0 { k &+= hits.trailingZeroBitCount >> 3; break }
                    k &+= 8
                }
                while k < limitEnd && tbl[Int(p[k])] & 2 == 0 { k &+= 1 }
                if k >= limitEnd { return atEOF ? .openQuoteAtEOF : limit }
                let c = p[k]
                if c == quoteByte {
                    if k &+ 1 < limitEnd {
                        if p[k &+ 1] != quoteByte { break }
                        copy(segment, k &+ 1)  // keeps one quote of the pair
                        k &+= 2
                        segment = k
                        continue
                    }
                    if atEOF { break }
                    return limit
                }
                // A line break inside the quotes (CRLF counts once).
                lines &+= 1
                spansLines = true
                if c == crByte {
                    if k &+ 1 < limitEnd {
                        if p[k &+ 1] == lfByte { k &+= 1 }
                    } else if !atEOF {
                        return limit
                    }
                }
                k &+= 1
            }
            copy(segment, k)
            k &+= 1  // the closing quote
            while k < limitEnd && tbl[Int(p[k])] & 4 != 0 { k &+= 1 }
            if k >= limitEnd {
                if atEOF { endField(); return complete(limitEnd, terminator: false) }
                return limit
            }
            let c = p[k]
            if c == delim { endField(); i = k &+ 1; continue fieldLoop }
            if c == lfByte || c == crByte { endField(); return complete(k, terminator: true) }
            // Text after the closing quote.
            if spansLines { return .quoteRunsOverLines(field: nf &+ 1) }
            if error == .none { error = .textAfterClosingQuote; errorField = nf &+ 1 }
            // Carry on leniently (the row is rejected anyway) to find where the record ends.
            endField()
            i = k
        }
    }

    private func finish(_ done: Completed) -> ReadResult {
        let s = pos
        row += 1
        let recordRow = row
        let recordLine = line
        pos = done.next
        line += done.lines
        if done.skipLF { skipLF = true }

        func malformed(_ message: String) -> ReadResult {
            .malformed(row: recordRow, line: recordLine, message: message, rawText: text(s, done.recordEnd))
        }
        switch done.error {
        case .none: break
        case .quoteInUnquotedField:
            return malformed("quote inside an unquoted field (field \(done.errorField))")
        case .textAfterClosingQuote:
            return malformed("text after the closing quote of a quoted field (field \(done.errorField))")
        }
        if !readingHeader && done.fields != header.count {
            return malformed("expected \(header.count) fields, found \(done.fields)")
        }
        if let bad = firstInvalidUTF8(buf, from: s, to: done.recordEnd) {
            return malformed("invalid UTF-8 at byte offset \(bufOffset + bad)")
        }
        // A NUL byte is valid UTF-8 but no field of a placement holds one: it is binary garbage
        // or a UTF-16 file read as bytes, and it would travel to the API as is.
        if done.bytes > 0, let nul = memchr(out, 0, done.bytes) {
            let offset = UnsafeMutableRawPointer(out).distance(to: nul)
            var field = 0
            while field < done.fields && Int(ends[field]) <= offset { field += 1 }
            let name = field < header.count ? " (\"\(header[field])\")" : ""
            return malformed("NUL byte in field \(field + 1)\(name)")
        }
        let bytes = Array(UnsafeBufferPointer(start: out, count: done.bytes))
        let fieldEnds = Array(UnsafeBufferPointer(start: ends, count: done.fields))
        return .record(SourceRecord(row: recordRow, line: recordLine, bytes: bytes, fieldEnds: fieldEnds))
    }

    /// Reports the record at `pos` by its first physical line and resumes right after that
    /// line, so the lines it swallowed are parsed again.
    private func recover(message: String) -> ReadResult {
        let s = pos
        row += 1
        let recordRow = row
        let recordLine = line
        var k = s
        while k < end && buf[k] != lfByte && buf[k] != crByte { k &+= 1 }
        let raw = text(s, min(k, s + maxRecordBytes))
        if k < end {
            line += 1
            consumeLineBreak(at: k)
        } else {
            // No line break in hand: the line itself is too long (or ends the file).
            pos = end
            if !eof { discarding = true }
        }
        return .malformed(row: recordRow, line: recordLine, message: message, rawText: raw)
    }

    /// Moves `pos` past the line break at window index `k` (LF, CR or CRLF).
    private func consumeLineBreak(at k: Int) {
        pos = k + 1
        if buf[k] == crByte {
            if pos < end {
                if buf[pos] == lfByte { pos += 1 }
            } else if !eof {
                skipLF = true
            }
        }
    }

    private func text(_ from: Int, _ to: Int) -> String {
        guard to > from else { return "" }
        return String(decoding: UnsafeBufferPointer(start: buf + from, count: to - from), as: UTF8.self)
    }

    // MARK: - Buffers

    /// Keeps the unparsed bytes (the record in progress) at the front of the window and reads
    /// one more chunk after them.
    private func refill() throws {
        if pos > 0 {
            let keep = end - pos
            if keep > 0 { memmove(buf, buf + pos, keep) }
            bufOffset += pos
            end = keep
            pos = 0
        }
        if capacity - end < chunkSize {
            // Only while a long record is in progress: the record (at most maxRecordBytes,
            // or `tooLong` would have ended it) plus one chunk.
            let newCapacity = max(end + chunkSize, min(capacity * 2, maxRecordBytes + chunkSize))
            let newBuf = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newBuf.update(from: buf, count: end)
            buf.deallocate()
            buf = newBuf
            capacity = newCapacity
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buf + end, count: chunkSize))
        if n == 0 { eof = true } else { end += n }
    }

    private func growOut(to count: Int) {
        out.deallocate()
        outCapacity = count
        out = .allocate(capacity: count)
    }

    private func growEnds() {
        let newCapacity = endsCapacity * 2
        let newEnds = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
        newEnds.update(from: ends, count: endsCapacity)
        ends.deallocate()
        ends = newEnds
        endsCapacity = newCapacity
    }
}

private let quoteByte = UInt8(ascii: "\"")
private let lfByte = UInt8(ascii: "\n")
private let crByte = UInt8(ascii: "\r")

private let lowBits: UInt64 = 0x0101_0101_0101_0101
private let highBits: UInt64 = 0x8080_8080_8080_8080
private let quotePattern = UInt64(quoteByte) &* lowBits
private let lfPattern = UInt64(lfByte) &* lowBits
private let crPattern = UInt64(crByte) &* lowBits

/// High bit set in each byte of `word` equal to one of the four patterns' byte. Bits above a
/// true match may be spurious (borrow), so only the lowest set bit is meaningful.
@inline(__always)
private func matchMask(_ word: UInt64, _ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: UInt64) -> UInt64 {
    let x1 = word ^ a, x2 = word ^ b, x3 = word ^ c, x4 = word ^ d
    let m1 = (x1 &- lowBits) & ~x1
    let m2 = (x2 &- lowBits) & ~x2
    let m3 = (x3 &- lowBits) & ~x3
    let m4 = (x4 &- lowBits) & ~x4
    return (m1 | m2 | m3 | m4) & highBits
}

private func trimBlanks(_ name: String) -> String {
    var scalars = Substring(name).unicodeScalars
    while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
    while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
    return String(scalars)
}

// MARK: - As a pipeline's reader

extension CSVReader: ReaderComponent {
    public struct SourceOptions: ReaderOptions {
        public var delimiter = UInt8(ascii: ",")
        /// nil: detected (UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252 with a notice).
        public var encoding: PipelineConfig.TextEncoding?
        public var rawTextDelimiter: UInt8? { delimiter }
    }

    public static let extensions = ["csv", "txt", "tsv", "csv.gz", "txt.gz", "tsv.gz"]

    public static let spec = ComponentSpec(.reader, "csv",
        summary: "Delimited text (RFC 4180), streamed; gzip read transparently.",
        options: [
            OptionSpec("delimiter", .string, default: ",", help: "The field separator: one character, or tab (also written \\t).", example: "\";\""),
            OptionSpec("encoding", .oneOf(["auto"] + PipelineConfig.TextEncoding.allCases.map(\.rawValue)), default: "auto",
                       help: "auto: UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1252 with a notice.", example: "windows-1252"),
        ],
        example: "source:\n  file: ../SampleData/placement.csv\n  reader: csv\n  delimiter: \";\"\n  encoding: windows-1252",
        notes: ["An invalid byte after the first 64 KiB rejects its row, naming the byte offset."])

    public static func options(_ section: ConfigSection) throws -> SourceOptions {
        var options = SourceOptions()
        if let node = section["encoding"] { options.encoding = PipelineConfig.TextEncoding(rawValue: try node.string()) }
        if let node = section["delimiter"] {
            let text = try node.string()
            switch text {
            case "\\t", "tab", "\t": options.delimiter = 9
            default:
                guard text.utf8.count == 1, let byte = text.utf8.first, byte < 0x80, byte != 34, byte != 10, byte != 13 else {
                    throw node.error("source.delimiter must be one character such as \",\" \";\" \"|\" or tab")
                }
                options.delimiter = byte
            }
        }
        return options
    }

    public static func open(path: String, options: SourceOptions, columns: [String]) throws -> any RecordReader {
        try CSVReader(path: path, delimiter: options.delimiter, encoding: options.encoding)
    }
}
