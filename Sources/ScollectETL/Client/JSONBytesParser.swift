#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// JSON text held in memory (an API answer) to `JSONValue` in one pass over its bytes: no
/// Foundation objects, no bridging. Strict RFC 8259, like `StreamingJSONParser` (which streams
/// files of any size; this one is for answers that are already in memory):
/// - any JSON value at the top (fragments allowed), then only whitespace; a UTF-8 byte order mark
///   at the start is skipped;
/// - whitespace is space, tab, CR and LF; no comments, trailing commas, NaN, leading zeros,
///   single quotes or unescaped control characters;
/// - invalid UTF-8 and `\u` escapes naming a lone UTF-16 surrogate make the text invalid (nil);
/// - nesting deeper than `maxDepth` is invalid.
///
/// The value is the one `JSONSerialization` gave before (`JSONValue.parse` used it): numbers as
/// `Double`, an object's keys sorted, a duplicated key keeping its last value. Checked against
/// nst/JSONTestSuite and against `JSONSerialization` on the same cases (`JSONBytesParserTests`).
struct JSONBytesParser {
    static let maxDepth = 512

    private let bytes: UnsafePointer<UInt8>
    private let count: Int
    private var i = 0
    private var depth = 0
    /// Unescaped string bytes (reused: a string with escapes is decoded here).
    private var scratch: [UInt8] = []
    /// The fields kept in the records of the answer's `result` list (nil: all).
    private let fields: AnswerFields?
    /// The value being parsed is the top object's `result`.
    private var inResult = false
    /// The object about to be parsed is a record of the `result` list.
    private var recordNext = false

    private init(_ bytes: UnsafePointer<UInt8>, _ count: Int, fields: AnswerFields?) {
        self.bytes = bytes
        self.count = count
        self.fields = fields
    }

    /// The value of a whole JSON text, or nil when it is not valid JSON. With `fields`, the
    /// objects of the top object's `result` list keep only those keys (and `error`); the others
    /// are still checked (an answer that is not valid JSON stays invalid) but never built.
    static func parse(_ buffer: UnsafeRawBufferPointer, fields: AnswerFields? = nil) -> JSONValue? {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return nil }
        var parser = JSONBytesParser(base.assumingMemoryBound(to: UInt8.self), buffer.count, fields: fields)
        if parser.count >= 3, parser.bytes[0] == 0xEF, parser.bytes[1] == 0xBB, parser.bytes[2] == 0xBF { parser.i = 3 }
        guard let value = parser.value() else { return nil }
        parser.skipWhitespace()
        return parser.i == parser.count ? value : nil
    }

    private mutating func skipWhitespace() {
        while i < count {
            let b = bytes[i]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            i += 1
        }
    }

    private mutating func value() -> JSONValue? {
        skipWhitespace()
        guard i < count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "{"): return object()
        case UInt8(ascii: "["): return array()
        case UInt8(ascii: "\""): return string().map(JSONValue.string)
        case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
        case UInt8(ascii: "n"): return literal("null") ? .null : nil
        default: return number()
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard count - i >= n, memcmp(bytes + i, word.utf8Start, n) == 0 else { return false }
        i += n
        return true
    }

    private mutating func object() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= JSONBytesParser.maxDepth else { return nil }
        i += 1 // {
        let record = recordNext && depth == 3 ? fields : nil
        recordNext = false
        var pairs: [(String, JSONValue)] = []
        skipWhitespace()
        if i < count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return .object(pairs)
        }
        if let record { return self.record(record) }
        while true {
            skipWhitespace()
            guard i < count, bytes[i] == UInt8(ascii: "\""), let key = string(), colon() else { return nil }
            inResult = depth == 1 && key == "result"
            guard let item = value() else { return nil }
            inResult = false
            pairs.append((key, item))
            guard let more = nextMember() else { return nil }
            if !more { return .object(JSONBytesParser.sortedLastWins(pairs)) }
        }
    }

    /// The `:` after a key (and the whitespace before it).
    @inline(__always)
    private mutating func colon() -> Bool {
        skipWhitespace()
        guard i < count, bytes[i] == UInt8(ascii: ":") else { return false }
        i += 1
        return true
    }

    /// After an object's member: true when another follows (`,`), false at the object's end
    /// (`}`); nil when neither.
    @inline(__always)
    private mutating func nextMember() -> Bool? {
        skipWhitespace()
        guard i < count else { return nil }
        if bytes[i] == UInt8(ascii: ",") { i += 1; return true }
        guard bytes[i] == UInt8(ascii: "}") else { return nil }
        i += 1
        return false
    }

    /// Keys in order, each once with its last value: the shape a dictionary gave.
    static func sortedLastWins(_ pairs: [(String, JSONValue)]) -> [(String, JSONValue)] {
        var sorted = true
        for k in pairs.indices.dropFirst() where !(pairs[k - 1].0 < pairs[k].0) {
            sorted = false
            break
        }
        if sorted { return pairs }
        let order = pairs.indices.sorted { a, b in pairs[a].0 == pairs[b].0 ? a < b : pairs[a].0 < pairs[b].0 }
        var out: [(String, JSONValue)] = []
        out.reserveCapacity(pairs.count)
        for index in order {
            if let last = out.last, last.0 == pairs[index].0 { out[out.count - 1] = pairs[index] } else { out.append(pairs[index]) }
        }
        return out
    }

    private mutating func array() -> JSONValue? {
        depth += 1
        defer { depth -= 1 }
        guard depth <= JSONBytesParser.maxDepth else { return nil }
        i += 1 // [
        let records = inResult && depth == 2 && fields != nil
        inResult = false
        var items: [JSONValue] = []
        skipWhitespace()
        if i < count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return .array(items)
        }
        while true {
            recordNext = records
            guard let item = value() else { return nil }
            recordNext = false
            items.append(item)
            skipWhitespace()
            guard i < count else { return nil }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            guard bytes[i] == UInt8(ascii: "]") else { return nil }
            i += 1
            return .array(items)
        }
    }

    /// At the opening quote. Plain strings (no escapes) are validated straight from the input.
    private mutating func string() -> String? {
        guard let (start, end, ascii) = plainString() else { return escapedString() }
        return text(start, end, ascii: ascii)
    }

    /// At an opening quote: the bytes of a string without escapes, skipped (`i` after the closing
    /// quote); nil, with `i` unchanged, for one with escapes or invalid (left to `escapedString`).
    /// Eight bytes at a time: the first quote, backslash or control byte of a word is found from
    /// its mask of special bytes, without a loop over the bytes of the word.
    @inline(__always)
    private mutating func plainString() -> (start: Int, end: Int, ascii: Bool)? {
        let start = i + 1
        var k = start
        var high: UInt64 = 0
        while count - k >= 8 {
            let word = UInt64(littleEndian: UnsafeRawPointer(bytes + k).loadUnaligned(as: UInt64.self))
            let special = JSONBytesParser.specialBytes(word)
            if special == 0 {
                high |= word
                k += 8
                continue
            }
            let offset = special.trailingZeroBitCount >> 3 // the first special byte of the word
            if offset > 0 { high |= word & (UInt64.max >> (64 - 8 * offset)) }
            k += offset
            guard bytes[k] == UInt8(ascii: "\"") else { return nil } // a backslash or a control byte
            i = k + 1
            return (start, k, high & 0x8080_8080_8080_8080 == 0)
        }
        var highByte = UInt8(high & 0x8080_8080_8080_8080 == 0 ? 0 : 0x80)
        while k < count {
            let b = bytes[k]
            if b == UInt8(ascii: "\"") {
                i = k + 1
                return (start, k, highByte < 0x80)
            }
            if b == UInt8(ascii: "\\") || b < 0x20 { return nil }
            highByte |= b
            k += 1
        }
        return nil
    }

    /// The high bit of each byte of `word` that is `"`, `\` or below 0x20 (bytes of 0x80 and more
    /// are none of them). Above the lowest special byte a mask bit may be wrong (a borrow); the
    /// lowest set bit is always right.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func zeroBytes(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        let control = (word &- 0x2020_2020_2020_2020) & ~word & highs
        return control | zeroBytes(word ^ 0x2222_2222_2222_2222) | zeroBytes(word ^ 0x5C5C_5C5C_5C5C_5C5C)
    }

    /// Whether any byte of `word` is `"`, `\` or below 0x20.
    @inline(__always)
    static func hasSpecialByte(_ word: UInt64) -> Bool { specialBytes(word) != 0 }

    /// Valid UTF-8 as a String (nil when not); ASCII needs no validation.
    private func text(_ start: Int, _ end: Int, ascii: Bool) -> String? {
        let span = UnsafeBufferPointer(start: bytes + start, count: end - start)
        return ascii ? String(decoding: span, as: UTF8.self) : String(validating: span, as: UTF8.self)
    }

    /// After the `{` of a record of the `result` list read with `fields` (not empty): the kept
    /// keys with their values; the others are checked as `value()` checks them, but neither
    /// their key nor their value becomes a String (a `getaccount` record has ~290 keys, and the
    /// writers read a handful).
    private mutating func record(_ fields: AnswerFields) -> JSONValue? {
        var pairs: [(String, JSONValue)] = []
        while true {
            skipWhitespace()
            guard i < count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            var kept: String?
            if let (start, end, ascii) = plainString() {
                if fields.keeps(UnsafeRawBufferPointer(start: bytes + start, count: end - start)) {
                    guard let key = text(start, end, ascii: ascii) else { return nil }
                    kept = key
                } else if !ascii, firstInvalidUTF8(bytes, from: start, to: end) != nil {
                    return nil
                }
            } else {
                guard let key = escapedString() else { return nil }
                if fields.keeps(key) { kept = key }
            }
            guard colon() else { return nil }
            if let kept {
                guard let item = value() else { return nil }
                pairs.append((kept, item))
            } else {
                guard skipValue() else { return nil }
            }
            guard let more = nextMember() else { return nil }
            if !more { return .object(JSONBytesParser.sortedLastWins(pairs)) }
        }
    }

    /// A value that is not kept: checked as `value()` checks it, nothing built.
    private mutating func skipValue() -> Bool {
        skipWhitespace()
        guard i < count else { return false }
        switch bytes[i] {
        case UInt8(ascii: "\""):
            if let (start, end, ascii) = plainString() { return ascii || firstInvalidUTF8(bytes, from: start, to: end) == nil }
            return escapedString() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            return value() != nil // nested values in a record field: rare, built and dropped
        default:
            return value() != nil // numbers and literals build nothing on the heap
        }
    }

    /// At an opening quote: a string that has escapes (or is invalid).
    private mutating func escapedString() -> String? {
        i += 1
        scratch.removeAll(keepingCapacity: true)
        while i < count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(validating: scratch, as: UTF8.self)
            }
            if b < 0x20 { return nil }
            if b != UInt8(ascii: "\\") {
                scratch.append(b)
                i += 1
                continue
            }
            guard i + 1 < count else { return nil }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(e)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return nil }
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate must be followed by an escaped low one.
                    guard i + 1 < count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { return nil }
                    i += 2
                    guard let low = hex4(), low >= 0xDC00 && low < 0xE000 else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    return nil
                }
                appendUTF8(scalar)
            default: return nil
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard count - i >= 4, let value = HexDigits.value4(bytes + i) else { return nil }
        i += 4
        return value
    }

    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case ..<0x80: scratch.append(UInt8(scalar))
        case ..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case ..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. Short integers are converted
    /// directly; anything else by `strtod`, which rounds correctly.
    private mutating func number() -> JSONValue? {
        let start = i
        if i < count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < count, isDigit(bytes[i]) else { return nil }
        var integer: Int64 = 0
        var digits = 0
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            digits = 1
        } else {
            while i < count, isDigit(bytes[i]) {
                if digits < 18 { integer = integer * 10 + Int64(bytes[i] - UInt8(ascii: "0")) }
                digits += 1
                i += 1
            }
        }
        var plainInteger = digits <= 15
        if i < count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < count, isDigit(bytes[i]) else { return nil }
            while i < count, isDigit(bytes[i]) { i += 1 }
            plainInteger = false
        }
        if i < count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < count, isDigit(bytes[i]) else { return nil }
            while i < count, isDigit(bytes[i]) { i += 1 }
            plainInteger = false
        }
        if plainInteger {
            let magnitude = Double(integer)
            return .number(bytes[start] == UInt8(ascii: "-") ? -magnitude : magnitude)
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: bytes + start, count: i - start))
        scratch.append(0)
        let parsed = scratch.withUnsafeBufferPointer { strtod(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), nil) }
        return .number(parsed)
    }

    private func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }
}

/// The fields of an answer's records a caller reads (`APICall.answerFields`): `JSONBytesParser`
/// builds only these (and `error`, which classifying needs) in the objects of the `result` list.
/// A class: the parser hands it to a function per key of a record, and a struct of three
/// collections cost six reference-count operations each time (`valgrind --tool=callgrind`).
public final class AnswerFields: Sendable {
    public let names: Set<String>
    /// The names' bytes one after the other, and where each ends.
    private let bytes: [UInt8]
    private let ends: [Int]
    /// Bit `filterBit(name)` set for every name: most keys of a record are ruled out by one test
    /// of their length and first and last bytes, before any name is compared.
    private let filter: UInt64

    public init(_ names: Set<String>) {
        let all = names.union(["error"])
        self.names = all
        var bytes: [UInt8] = []
        var ends: [Int] = []
        var filter: UInt64 = 0
        for name in all.sorted() {
            let utf8 = Array(name.utf8)
            bytes += utf8
            ends.append(bytes.count)
            filter |= utf8.withUnsafeBytes { AnswerFields.filterBit($0) }
        }
        self.bytes = bytes
        self.ends = ends
        self.filter = filter
    }

    func keeps(_ key: String) -> Bool { names.contains(key) }

    /// One of 64 bits from a name's length and its first and last bytes.
    @inline(__always)
    static func filterBit(_ name: UnsafeRawBufferPointer) -> UInt64 {
        guard let first = name.first, let last = name.last else { return 1 }
        return 1 << ((UInt64(name.count) &+ UInt64(first) &* 5 &+ UInt64(last) &* 17) & 63)
    }

    /// Byte-wise, without making a String of every key of the record; inlined in the parser's
    /// loop over a record's keys, which most keys leave at the filter.
    @inline(__always)
    func keeps(_ key: UnsafeRawBufferPointer) -> Bool {
        if key.isEmpty { return names.contains("") }
        guard filter & AnswerFields.filterBit(key) != 0 else { return false }
        return isName(key)
    }

    private func isName(_ key: UnsafeRawBufferPointer) -> Bool {
        bytes.withUnsafeBytes { all in
            var start = 0
            for end in ends {
                if end - start == key.count, memcmp(all.baseAddress! + start, key.baseAddress!, key.count) == 0 { return true }
                start = end
            }
            return false
        }
    }
}
