/// Free text: trims leading and trailing Unicode whitespace (including NBSP U+00A0, which is
/// what cp1252 0xA0 decodes to) and changes nothing else. Whitespace-only values are `.blank`.
///
/// This file also holds the byte-level helpers the other normalisers share (trimming,
/// whitespace and dash recognition on UTF-8, building small ASCII strings).
public struct TextNormalizer: Normalizer {
    public static let name = "text"

    public init() {}

    public func normalize(_ raw: String) -> Normalized {
        let result: (Int, Int, Int) = TextNormalizer.withBytes(raw) { p in
            let (s, e) = TextNormalizer.trimmed(p)
            return (s, e, p.count)
        }
        let (s, e, count) = result
        if s == e { return .blank }
        if s == 0 && e == count { return .value(raw) }
        return .value(TextNormalizer.withBytes(raw) { p in
            String(decoding: UnsafeBufferPointer(rebasing: p[s..<e]), as: UTF8.self)
        })
    }

    public func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Normalized {
        let (s, e) = TextNormalizer.trimmed(bytes)
        if s == e { return .blank }
        return .value(String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self))
    }
}

// MARK: - Shared byte helpers (internal)

extension TextNormalizer {
    /// Runs `body` on the UTF-8 bytes of `raw` without copying native strings.
    @inline(__always)
    static func withBytes<R>(_ raw: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = raw.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = raw
        return copy.withUTF8(body)
    }

    /// The byte length of the Unicode whitespace scalar (White_Space property) starting at `i`,
    /// or 0. Covers ASCII TAB...CR and space, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028,
    /// U+2029, U+202F, U+205F and U+3000.
    @inline(__always)
    static func whitespaceLength(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let b = p[i]
        if b < 0x80 { return (b == 0x20 || (b >= 0x09 && b <= 0x0D)) ? 1 : 0 }
        switch b {
        case 0xC2:
            if i + 1 < end, p[i + 1] == 0x85 || p[i + 1] == 0xA0 { return 2 }
        case 0xE1:
            if i + 2 < end, p[i + 1] == 0x9A, p[i + 2] == 0x80 { return 3 }
        case 0xE2:
            if i + 2 < end {
                let b1 = p[i + 1], b2 = p[i + 2]
                if b1 == 0x80 && ((b2 >= 0x80 && b2 <= 0x8A) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF) {
                    return 3
                }
                if b1 == 0x81 && b2 == 0x9F { return 3 }
            }
        case 0xE3:
            if i + 2 < end, p[i + 1] == 0x80, p[i + 2] == 0x80 { return 3 }
        default:
            break
        }
        return 0
    }

    /// The byte length of the whitespace scalar that ends just before `j`, or 0.
    @inline(__always)
    static func whitespaceLengthBefore(_ p: UnsafeBufferPointer<UInt8>, _ j: Int, _ start: Int) -> Int {
        let b = p[j - 1]
        if b < 0x80 { return (b == 0x20 || (b >= 0x09 && b <= 0x0D)) ? 1 : 0 }
        if j - 2 >= start, p[j - 2] == 0xC2, b == 0x85 || b == 0xA0 { return 2 }
        if j - 3 >= start, whitespaceLength(p, j - 3, j) == 3 { return 3 }
        return 0
    }

    /// The byte length of a dash scalar starting at `i`, or 0: ASCII `-`, U+2010–U+2015
    /// (hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar) and U+2212
    /// minus. cp1252 0x96/0x97 decode to the en/em dash.
    @inline(__always)
    static func dashLength(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let b = p[i]
        if b == UInt8(ascii: "-") { return 1 }
        if b == 0xE2, i + 2 < end {
            let b1 = p[i + 1], b2 = p[i + 2]
            if b1 == 0x80 && b2 >= 0x90 && b2 <= 0x95 { return 3 }
            if b1 == 0x88 && b2 == 0x92 { return 3 }
        }
        return 0
    }

    /// Bounds of `p` without leading and trailing Unicode whitespace (`s == e` when blank).
    @inline(__always)
    static func trimmed(_ p: UnsafeBufferPointer<UInt8>) -> (Int, Int) {
        var s = 0
        var e = p.count
        // The usual cell: printable ASCII at both ends (`!`…DEL), nothing to trim.
        if e > 0, p[0] &- 0x21 < 0x5F, p[e - 1] &- 0x21 < 0x5F { return (0, e) }
        while s < e {
            let n = whitespaceLength(p, s, e)
            if n == 0 { break }
            s += n
        }
        while e > s {
            let n = whitespaceLengthBefore(p, e, s)
            if n == 0 { break }
            e -= n
        }
        return (s, e)
    }

    /// The byte length of the UTF-8 scalar starting at `i` (1 for stray continuation bytes).
    static func scalarLength(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        let b = p[i]
        let n: Int
        switch b {
        case 0xC0...0xDF: n = 2
        case 0xE0...0xEF: n = 3
        case 0xF0...0xF7: n = 4
        default: n = 1
        }
        return min(n, end - i)
    }

    /// The scalar at `i` as a string, for error messages (slow path only).
    static func scalarText(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ end: Int) -> String {
        let n = scalarLength(p, i, end)
        return String(decoding: UnsafeBufferPointer(rebasing: p[i..<(i + n)]), as: UTF8.self)
    }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    @inline(__always)
    static func isASCIILetter(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }

    /// Three zero-padded numbers joined by dashes: `XXX-XX-XXXX`, `XXX-XXX-XXXX`, `yyyy-mm-dd`.
    @inline(__always)
    static func dashed(_ a: Int, width wa: Int, _ b: Int, width wb: Int, _ c: Int, width wc: Int) -> String {
        makeASCII(count: wa + wb + wc + 2) { out in
            writeDigits(a, width: wa, into: out, at: 0)
            out[wa] = UInt8(ascii: "-")
            writeDigits(b, width: wb, into: out, at: wa + 1)
            out[wa + wb + 1] = UInt8(ascii: "-")
            writeDigits(c, width: wc, into: out, at: wa + wb + 2)
        }
    }

    /// Builds an ASCII string of exactly `count` bytes.
    @inline(__always)
    static func makeASCII(count: Int, _ fill: (UnsafeMutableBufferPointer<UInt8>) -> Void) -> String {
        String(unsafeUninitializedCapacity: count) { buffer in
            fill(buffer)
            return count
        }
    }

    /// Writes `value` as exactly `width` zero-padded decimal digits at `at`.
    @inline(__always)
    static func writeDigits(_ value: Int, width: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at: Int) {
        // Two digits per division, from a table, no bounds checks: this runs for every date,
        // phone and SSN.
        guard let base = buffer.baseAddress else { return }
        let pairs = digitPairs.utf8Start
        var v = UInt(bitPattern: value)
        var k = at + width
        while k - at >= 2 {
            let q = v / 100
            let r = Int(truncatingIfNeeded: v &- q &* 100) &* 2
            base[k - 2] = pairs[r]
            base[k - 1] = pairs[r + 1]
            v = q
            k -= 2
        }
        if k > at { base[at] = UInt8(truncatingIfNeeded: 0x30 &+ v % 10) }
    }

    /// "00", "01" … "99", back to back.
    static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
}

extension TextNormalizer: NormalizerComponent {
    public static let spec = ComponentSpec(.normalizer, name,
        summary: "Trimmed text (Unicode whitespace); whitespace only is blank. Every mapped field not under normalize: gets this one.",
        example: "normalize:\n  address: text")
    public static func make(_ options: ConfigSection) -> TextNormalizer { TextNormalizer() }
}
