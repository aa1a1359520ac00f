#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A strict RFC 8259 JSON pull parser over a `ByteSource`, in bounded memory: it never holds
/// more than one read chunk plus the token being scanned, so a file of any size streams through.
///
/// - `next()` hands out one event at a time. For `.key` and `.string` the decoded text is in
///   `token`; for `.number` the literal text as written (`-1.50e+3`, never through `Double`).
/// - Framing `.single`: exactly one JSON value, then only whitespace (the test-suite sense of
///   "a JSON text"). Framing `.lines` (NDJSON): zero or more values, each on a line of its own;
///   a line break inside a value (outside a string) is an error, and after a syntax error
///   `skipToNextLine()` resumes parsing at the next line.
/// - Strictness: whitespace is space, tab, CR and LF only; no comments, trailing commas, NaN,
///   leading zeros or single quotes; control characters inside strings must be escaped.
/// - Text problems that are not syntax errors, an invalid UTF-8 sequence inside a string or a
///   `\u` escape naming a lone UTF-16 surrogate, do not stop the parser: the first one is kept in
///   `textIssue` (with its byte offset) and the character becomes U+FFFD, so a caller can
///   reject just the record that holds it. `parseDocument` treats them as errors.
/// - A UTF-8 byte order mark at the very start is skipped. Other encodings (UTF-16) are errors.
/// - Checked against nst/JSONTestSuite (`Tests/Fixtures/json/JSONTestSuite`): every `y_` case
///   parses, every `n_` case is rejected; of the `i_` cases, huge numbers, 500 nested arrays and
///   a leading BOM are accepted, lone surrogates, invalid UTF-8 and UTF-16 input are not.
/// - Nesting deeper than `maxDepth` is an error. Tokens longer than `maxTokenBytes` are scanned
///   to their end but only their first `maxTokenBytes` bytes are kept (`tokenTruncated`).
final class StreamingJSONParser {
    enum Event: Equatable {
        case objectStart, objectEnd, arrayStart, arrayEnd
        case key, string, number
        case bool(Bool)
        case null
        /// End of input (after a complete value, or for `.lines`, possibly none).
        case end
    }

    enum Framing {
        case single
        case lines
    }

    struct SyntaxError: Error, Equatable, CustomStringConvertible {
        let message: String
        let line: Int
        /// 1-based, counted in bytes from the start of the line.
        let column: Int
        let offset: Int
        var description: String { "line \(line), column \(column) (byte offset \(offset)): \(message)" }
    }

    /// A character that was replaced by U+FFFD: not a syntax error, but not text either.
    struct TextIssue: Equatable {
        let offset: Int
        let message: String
    }

    var framing: Framing
    let maxTokenBytes: Int
    let maxDepth: Int

    /// Decoded text of the last `.key`/`.string`, literal text of the last `.number`.
    private(set) var token: [UInt8] = []
    /// The last token was longer than `maxTokenBytes`; `token` holds its start.
    private(set) var tokenTruncated = false
    /// The first text problem since `clearTextIssue()`.
    private(set) var textIssue: TextIssue?
    /// Where the last event's token starts.
    private(set) var eventOffset = 0
    private(set) var eventLine = 1
    /// Containers open around the current position.
    var depth: Int { stack.count }
    /// Current 1-based line and absolute byte offset of the next unread byte.
    private(set) var line = 1
    var offset: Int { bufOffset + pos }

    static let defaultChunkSize = 64 * 1024

    private let source: ByteSource
    private let chunkSize: Int
    private var buf: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var pos = 0
    private var end = 0
    private var bufOffset = 0
    private var eof = false
    private var lineStart = 0
    private var bomChecked = false

    private enum Expect {
        case value, valueOrArrayEnd, keyOrObjectEnd, key, colon, commaOrEnd, afterTopValue
    }
    private var expect = Expect.value
    /// true = object, false = array.
    private var stack: [Bool] = []
    private var sawValue = false
    private var ended = false
    private var failure: SyntaxError?

    private enum Partial {
        case none
        case string(key: Bool)
        case number
        case literal
    }
    private var partial = Partial.none
    private var numberState: UInt8 = 0
    private var literalText: [UInt8] = []
    private var literalIndex = 0
    private var literalEvent = Event.null

    // Raw-text capture (for a rejected record's text): bytes from `captureStart` on, kept as
    // the window drops them, at most `captureLimit`.
    private var captureStart: Int?
    private var captureNext = 0
    private var captured: [UInt8] = []
    private var captureLimit = 0

    init(source: ByteSource, framing: Framing = .single, maxTokenBytes: Int = 16 << 20, maxDepth: Int = 512,
         chunkSize: Int = StreamingJSONParser.defaultChunkSize) {
        precondition(chunkSize > 0 && maxTokenBytes > 0 && maxDepth > 0)
        self.source = source
        self.framing = framing
        self.maxTokenBytes = maxTokenBytes
        self.maxDepth = maxDepth
        self.chunkSize = chunkSize
        capacity = chunkSize + 64
        buf = .allocate(capacity: capacity)
    }

    deinit { buf.deallocate() }

    // MARK: - Public operations

    /// The first byte that is not whitespace (after a BOM), without consuming it; nil for an
    /// input that is empty or all whitespace.
    func firstSignificantByte() throws -> UInt8? {
        try skipBOM()
        while true {
            if pos == end {
                if eof { return nil }
                try refill()
                continue
            }
            let b = buf[pos]
            if b == lf {
                pos += 1
                line += 1
                lineStart = offset
            } else if b == space || b == tab || b == cr {
                pos += 1
            } else {
                return b
            }
        }
    }

    func next() throws -> Event {
        if let failure { throw failure }
        do {
            return try advance()
        } catch let error as SyntaxError {
            failure = error
            throw error
        }
    }

    /// After a syntax error (or to drop the rest of a record): discards input through the next
    /// line break and starts over at the top level. Returns the absolute offset of that line
    /// break (or of the end of input).
    @discardableResult
    func skipToNextLine() throws -> Int {
        failure = nil
        stack.removeAll(keepingCapacity: true)
        expect = .value
        partial = .none
        ended = false
        while true {
            var k = pos
            while k < end && buf[k] != lf { k += 1 }
            if k < end {
                let breakOffset = bufOffset + k
                pos = k + 1
                line += 1
                lineStart = offset
                return breakOffset
            }
            pos = end
            if eof { return offset }
            try refill()
        }
    }

    func clearTextIssue() { textIssue = nil }

    /// Starts keeping the raw bytes from absolute offset `start`, at most `limit`. Bytes the
    /// window has already dropped (the start of a long token just read) are not kept.
    func beginCapture(at start: Int, limit: Int) {
        let from = max(start, bufOffset)
        captureStart = from
        captureNext = from
        captured.removeAll(keepingCapacity: true)
        captureLimit = limit
    }

    /// The captured bytes from the capture start up to absolute offset `upTo`, as text.
    func capturedText(upTo: Int) -> String {
        guard captureStart != nil else { return "" }
        var bytes = captured
        let from = max(captureNext, bufOffset) - bufOffset
        let to = min(max(upTo - bufOffset, from), end)
        if from < to && bytes.count < captureLimit {
            bytes.append(contentsOf: UnsafeBufferPointer(start: buf + from, count: min(to - from, captureLimit - bytes.count)))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func endCapture() {
        captureStart = nil
        captured.removeAll(keepingCapacity: true)
    }

    /// Parses a whole document (`.single` framing), treating text issues as errors too.
    /// Returns nil when it is valid, else the first problem.
    static func validate(source: ByteSource, chunkSize: Int = defaultChunkSize) -> String? {
        let parser = StreamingJSONParser(source: source, framing: .single, chunkSize: chunkSize)
        do {
            while try parser.next() != .end {}
        } catch {
            return "\(error)"
        }
        if let issue = parser.textIssue { return "byte offset \(issue.offset): \(issue.message)" }
        return nil
    }

    // MARK: - Structure

    private func advance() throws -> Event {
        if ended { return .end }
        if !bomChecked { try skipBOM() }
        while true {
            switch partial {
            case .none:
                break
            case .string(let isKey):
                if try scanString() {
                    partial = .none
                    if isKey {
                        expect = .colon
                        return .key
                    }
                    valueDone()
                    return .string
                }
                continue
            case .number:
                if try scanNumber() {
                    partial = .none
                    valueDone()
                    return .number
                }
                continue
            case .literal:
                if try scanLiteral() {
                    partial = .none
                    valueDone()
                    return literalEvent
                }
                continue
            }

            if pos == end {
                if eof { return try endOfInput() }
                try refill()
                continue
            }
            let b = buf[pos]
            if b == space || b == tab || b == cr {
                let p = buf
                let windowEnd = end
                var k = pos + 1
                while k < windowEnd && (p[k] == space || p[k] == tab || p[k] == cr) { k += 1 }
                pos = k
                continue
            }
            if b == lf {
                if framing == .lines && !stack.isEmpty {
                    throw error(at: pos, "the record does not end on this line (NDJSON holds one record per line)")
                }
                pos += 1
                line += 1
                lineStart = offset
                if framing == .lines && expect == .afterTopValue { expect = .value }
                continue
            }

            eventOffset = offset
            eventLine = line
            switch expect {
            case .afterTopValue:
                if framing == .single { throw error(at: pos, "\(describe(b)) after the end of the JSON value") }
                throw error(at: pos, "\(describe(b)) after the end of the record on the same line (NDJSON holds one record per line)")
            case .colon:
                guard b == colonByte else { throw error(at: pos, "expected ':' after an object key, found \(describe(b))") }
                pos += 1
                expect = .value
            case .commaOrEnd:
                let inObject = stack[stack.count - 1]
                if b == comma {
                    pos += 1
                    expect = inObject ? .key : .value
                } else if b == closeBrace && inObject {
                    pos += 1
                    pop()
                    return .objectEnd
                } else if b == closeBracket && !inObject {
                    pos += 1
                    pop()
                    return .arrayEnd
                } else {
                    throw error(at: pos, inObject ? "expected ',' or '}' after an object member, found \(describe(b))"
                                                  : "expected ',' or ']' after an array element, found \(describe(b))")
                }
            case .key, .keyOrObjectEnd:
                if b == closeBrace && expect == .keyOrObjectEnd {
                    pos += 1
                    pop()
                    return .objectEnd
                }
                guard b == quote else {
                    throw error(at: pos, expect == .key ? "expected a quoted key after ',', found \(describe(b))"
                                                        : "expected a quoted key or '}', found \(describe(b))")
                }
                pos += 1
                beginToken()
                partial = .string(key: true)
            case .value, .valueOrArrayEnd:
                if b == closeBracket && expect == .valueOrArrayEnd {
                    pos += 1
                    pop()
                    return .arrayEnd
                }
                sawValue = true
                switch b {
                case openBrace:
                    try push(object: true)
                    pos += 1
                    expect = .keyOrObjectEnd
                    return .objectStart
                case openBracket:
                    try push(object: false)
                    pos += 1
                    expect = .valueOrArrayEnd
                    return .arrayStart
                case quote:
                    pos += 1
                    beginToken()
                    partial = .string(key: false)
                case minus, 0x30...0x39:
                    beginToken()
                    numberState = 0
                    partial = .number
                case 0x74: // t
                    beginLiteral(trueText, .bool(true))
                case 0x66: // f
                    beginLiteral(falseText, .bool(false))
                case 0x6E: // n
                    beginLiteral(nullText, .null)
                default:
                    throw error(at: pos, "expected a value, found \(describe(b))")
                }
            }
        }
    }

    private func endOfInput() throws -> Event {
        if !stack.isEmpty {
            let what = stack[stack.count - 1] ? "an object" : "an array"
            if framing == .lines { throw error(at: pos, "the record ends inside \(what) at the end of the file") }
            throw error(at: pos, "unexpected end of input inside \(what)")
        }
        if framing == .single && !sawValue { throw error(at: pos, "no JSON value (the input is empty)") }
        ended = true
        return .end
    }

    private func push(object: Bool) throws {
        if stack.count >= maxDepth { throw error(at: pos, "nesting deeper than \(maxDepth) levels") }
        stack.append(object)
    }

    private func pop() {
        stack.removeLast()
        expect = stack.isEmpty ? .afterTopValue : .commaOrEnd
    }

    private func valueDone() {
        expect = stack.isEmpty ? .afterTopValue : .commaOrEnd
    }

    private func skipBOM() throws {
        guard !bomChecked else { return }
        while end - pos < 3 && !eof { try refill() }
        bomChecked = true
        if bufOffset == 0 && pos == 0 && end >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { pos = 3 }
    }

    // MARK: - Tokens

    private func beginToken() {
        token.removeAll(keepingCapacity: true)
        tokenTruncated = false
    }

    @inline(__always)
    private func appendToken(_ from: UnsafePointer<UInt8>, _ count: Int) {
        guard count > 0 else { return }
        let room = maxTokenBytes - token.count
        if count <= room {
            token.append(contentsOf: UnsafeBufferPointer(start: from, count: count))
        } else {
            if room > 0 { token.append(contentsOf: UnsafeBufferPointer(start: from, count: room)) }
            tokenTruncated = true
        }
    }

    private func appendScalar(_ scalar: UInt32) {
        var bytes: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        var count = 0
        switch scalar {
        case 0..<0x80:
            bytes.0 = UInt8(scalar); count = 1
        case 0x80..<0x800:
            bytes.0 = UInt8(0xC0 | (scalar >> 6)); bytes.1 = UInt8(0x80 | (scalar & 0x3F)); count = 2
        case 0x800..<0x10000:
            bytes.0 = UInt8(0xE0 | (scalar >> 12)); bytes.1 = UInt8(0x80 | ((scalar >> 6) & 0x3F))
            bytes.2 = UInt8(0x80 | (scalar & 0x3F)); count = 3
        default:
            bytes.0 = UInt8(0xF0 | (scalar >> 18)); bytes.1 = UInt8(0x80 | ((scalar >> 12) & 0x3F))
            bytes.2 = UInt8(0x80 | ((scalar >> 6) & 0x3F)); bytes.3 = UInt8(0x80 | (scalar & 0x3F)); count = 4
        }
        withUnsafeBytes(of: &bytes) { appendToken($0.baseAddress!.assumingMemoryBound(to: UInt8.self), count) }
    }

    private func noteTextIssue(at index: Int, _ message: String) {
        if textIssue == nil { textIssue = TextIssue(offset: bufOffset + index, message: message) }
        appendScalar(0xFFFD)
    }

    /// Scans string content from `pos` (just after the opening quote, or where the previous
    /// call stopped). True when the closing quote was consumed; false after a refill.
    private func scanString() throws -> Bool {
        let p = buf
        let end = self.end
        var i = pos
        while true {
            let runStart = i
            while i < end {
                let c = p[i]
                if c == quote || c == backslash || c < 0x20 || c >= 0x80 { break }
                i &+= 1
            }
            appendToken(p + runStart, i - runStart)
            if i == end {
                pos = i
                if eof { throw error(at: i, "unterminated string at the end of the input") }
                try refill()
                return false
            }
            let c = p[i]
            if c == quote {
                pos = i + 1
                return true
            }
            if c < 0x20 {
                throw error(at: i, "unescaped control character U+\(hex4(UInt32(c))) in a string (write it as \\u\(hex4(UInt32(c))))")
            }
            if c == backslash {
                if end - i < 2 {
                    if eof { throw error(at: i, "unterminated string at the end of the input") }
                    pos = i
                    try refill()
                    return false
                }
                let e = p[i + 1]
                switch e {
                case quote, backslash, slash:
                    appendToken(p + i + 1, 1)
                    i += 2
                case 0x62: appendScalar(0x08); i += 2 // b
                case 0x66: appendScalar(0x0C); i += 2 // f
                case 0x6E: appendScalar(0x0A); i += 2 // n
                case 0x72: appendScalar(0x0D); i += 2 // r
                case 0x74: appendScalar(0x09); i += 2 // t
                case 0x75: // u
                    if end - i < 6 && !eof {
                        pos = i
                        try refill()
                        return false
                    }
                    guard let unit = hexValue(i + 2) else {
                        throw error(at: i, "\\u must be followed by four hex digits")
                    }
                    if (0xD800...0xDBFF).contains(unit) {
                        // A high surrogate: a low one must follow as the next escape.
                        if end - i < 12 && !eof {
                            pos = i
                            try refill()
                            return false
                        }
                        if end - i >= 12 && p[i + 6] == backslash && p[i + 7] == 0x75,
                           let low = hexValue(i + 8), (0xDC00...0xDFFF).contains(low) {
                            appendScalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                            i += 12
                        } else {
                            noteTextIssue(at: i, "lone surrogate \\u\(hex4(unit)) (not a Unicode character)")
                            i += 6
                        }
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        noteTextIssue(at: i, "lone surrogate \\u\(hex4(unit)) (not a Unicode character)")
                        i += 6
                    } else {
                        appendScalar(unit)
                        i += 6
                    }
                default:
                    throw error(at: i, "invalid escape \\\(describeEscape(e)) in a string")
                }
                continue
            }
            // A multi-byte UTF-8 sequence (RFC 3629: no overlongs, surrogates or > U+10FFFF).
            let (length, low, high) = utf8SequenceShape(lead: c)
            if length > 0 && end - i < length && !eof {
                pos = i
                try refill()
                return false
            }
            var valid = length > 0 && end - i >= length
            if valid {
                let second = p[i + 1]
                valid = second >= low && second <= high
                var k = 2
                while valid && k < length {
                    valid = p[i + k] & 0xC0 == 0x80
                    k += 1
                }
            }
            if valid {
                appendToken(p + i, length)
                i += length
            } else {
                noteTextIssue(at: i, "invalid UTF-8 (byte 0x\(hex2(c)))")
                i += 1
            }
        }
    }

    /// Four hex digits at window index `at` (all in the window), or nil.
    private func hexValue(_ at: Int) -> UInt32? {
        guard end - at >= 4 else { return nil }
        return HexDigits.value4(buf + at)
    }

    /// Number states: 0 start, 1 after '-', 2 leading '0', 3 integer digits, 4 after '.',
    /// 5 fraction digits, 6 after 'e', 7 after exponent sign, 8 exponent digits.
    private func scanNumber() throws -> Bool {
        let p = buf
        let end = self.end
        var i = pos
        var state = numberState
        let runStart = i
        scan: while i < end {
            let c = p[i]
            let digit = c >= 0x30 && c <= 0x39
            switch state {
            case 0:
                state = c == minus ? 1 : (c == 0x30 ? 2 : 3)
            case 1:
                guard digit else { throw error(at: i, "'-' must be followed by a digit") }
                state = c == 0x30 ? 2 : 3
            case 2, 3, 5:
                if digit {
                    if state == 2 { throw error(at: i, "a number cannot have a leading zero") }
                } else if c == dot && state != 5 {
                    state = 4
                } else if c == 0x65 || c == 0x45 {
                    state = 6
                } else {
                    break scan
                }
            case 4:
                guard digit else { throw error(at: i, "a digit must follow the decimal point") }
                state = 5
            case 6:
                if c == plus || c == minus { state = 7 } else if digit { state = 8 } else {
                    throw error(at: i, "the exponent needs digits")
                }
            case 7:
                guard digit else { throw error(at: i, "the exponent needs digits") }
                state = 8
            default: // 8
                if !digit { break scan }
            }
            i += 1
        }
        appendToken(p + runStart, i - runStart)
        pos = i
        numberState = state
        if i < end { return true }
        if !eof {
            try refill()
            return false
        }
        switch state {
        case 2, 3, 5, 8: return true
        case 1: throw error(at: i, "'-' must be followed by a digit")
        case 4: throw error(at: i, "a digit must follow the decimal point")
        default: throw error(at: i, "the exponent needs digits")
        }
    }

    private func beginLiteral(_ text: [UInt8], _ event: Event) {
        literalText = text
        literalIndex = 0
        literalEvent = event
        partial = .literal
    }

    private func scanLiteral() throws -> Bool {
        while literalIndex < literalText.count {
            if pos == end {
                if eof { throw error(at: pos, "incomplete literal (expected \(String(decoding: literalText, as: UTF8.self)))") }
                try refill()
                return false
            }
            if buf[pos] != literalText[literalIndex] {
                throw error(at: pos, "invalid literal (expected \(String(decoding: literalText, as: UTF8.self)))")
            }
            pos += 1
            literalIndex += 1
        }
        return true
    }

    // MARK: - Buffer

    /// Drops the consumed bytes and reads one more chunk after the unconsumed ones.
    private func refill() throws {
        if pos > 0 {
            if let captureStart {
                let from = max(captureNext, bufOffset, captureStart) - bufOffset
                if from < pos && captured.count < captureLimit {
                    captured.append(contentsOf: UnsafeBufferPointer(start: buf + from, count: min(pos - from, captureLimit - captured.count)))
                }
                captureNext = max(captureNext, bufOffset + pos)
            }
            let keep = end - pos
            if keep > 0 { memmove(buf, buf + pos, keep) }
            bufOffset += pos
            end = keep
            pos = 0
        }
        if capacity - end < chunkSize {
            let newCapacity = end + chunkSize
            let newBuf = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newBuf.update(from: buf, count: end)
            buf.deallocate()
            buf = newBuf
            capacity = newCapacity
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buf + end, count: chunkSize))
        if n == 0 { eof = true } else { end += n }
    }

    private func error(at index: Int, _ message: String) -> SyntaxError {
        pos = min(index, end)
        let at = bufOffset + index
        return SyntaxError(message: message, line: line, column: at - lineStart + 1, offset: at)
    }
}

private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")
private let cr = UInt8(ascii: "\r")
private let lf = UInt8(ascii: "\n")
private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")
private let slash = UInt8(ascii: "/")
private let colonByte = UInt8(ascii: ":")
private let comma = UInt8(ascii: ",")
private let openBrace = UInt8(ascii: "{")
private let closeBrace = UInt8(ascii: "}")
private let openBracket = UInt8(ascii: "[")
private let closeBracket = UInt8(ascii: "]")
private let minus = UInt8(ascii: "-")
private let plus = UInt8(ascii: "+")
private let dot = UInt8(ascii: ".")
private let trueText = Array("true".utf8)
private let falseText = Array("false".utf8)
private let nullText = Array("null".utf8)

private func hex2(_ value: UInt8) -> String {
    let digits = Array("0123456789ABCDEF".utf8)
    return String(decoding: [digits[Int(value >> 4)], digits[Int(value & 0xF)]], as: UTF8.self)
}

private func hex4(_ value: UInt32) -> String { hex2(UInt8(value >> 8 & 0xFF)) + hex2(UInt8(value & 0xFF)) }

/// A byte as a person would want it named in a message.
private func describe(_ byte: UInt8) -> String {
    if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
    return "byte 0x\(hex2(byte))"
}

private func describeEscape(_ byte: UInt8) -> String {
    byte >= 0x21 && byte < 0x7F ? String(Character(Unicode.Scalar(byte))) : "(byte 0x\(hex2(byte)))"
}
