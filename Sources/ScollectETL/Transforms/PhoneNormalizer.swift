/// North American (NANP) phone numbers, output `XXX-XXX-XXXX`.
///
/// Accepted: 10 digits, or 11 digits starting with country code 1 (`+1 …`, `1-…`), with any of
/// `( ) - . /`, Unicode dashes and Unicode whitespace between digits; a bare 10- or 11-digit
/// number may carry Excel's trailing `.0`. An extension at the end (`x12`, `X 12`, `ext 12`,
/// `ext. 12`, `ext: 12`, `extension 12`, `#12`, `;ext=12`) is dropped with a
/// `PHONE_EXTENSION_DROPPED` warning.
///
/// Rejected (`INVALID_PHONE`): other digit counts, letters (vanity numbers are not converted),
/// other country codes (`+44 …`), Excel scientific notation (`5.55234E+09`, digits lost),
/// area codes or exchanges starting with 0 or 1, N11 area codes and exchanges (211 … 911).
public struct PhoneNormalizer: Normalizer {
    public static let name = "phone"

    public init() {}

    public func normalize(_ raw: String) -> Normalized {
        TextNormalizer.withBytes(raw) { normalize(bytes: $0) }
    }

    private func invalid(_ message: String) -> Normalized { .invalid(.invalidPhone, message) }

    public func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Normalized { normalize(bytes: bytes) }

    private func normalize(bytes p: UnsafeBufferPointer<UInt8>) -> Normalized {
        var (s, e) = TextNormalizer.trimmed(p)
        if s == e { return .blank }

        if Self.isScientific(p, s, e) {
            return invalid("phone number is in scientific notation: Excel has lost its digits")
        }
        // Excel artefact: a numeric cell written as `5552345678.0`.
        if e - s >= 3, p[e - 2] == UInt8(ascii: "."), p[e - 1] == UInt8(ascii: "0") {
            var allDigits = true
            for i in s..<(e - 2) where !TextNormalizer.isDigit(p[i]) { allDigits = false; break }
            if allDigits { e -= 2 }
        }

        var i = s
        var plus = false
        if p[i] == UInt8(ascii: "+") { plus = true; i += 1 }

        var value = 0
        var digits = 0
        var firstDigit: UInt8 = 0
        var extensionRange: Range<Int>? = nil
        scan: while i < e {
            let b = p[i]
            if TextNormalizer.isDigit(b) {
                if digits == 0 { firstDigit = b }
                if digits < 11 { value = value * 10 + Int(b - 0x30) }
                digits += 1
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "-"):
                i += 1
                continue
            default:
                break
            }
            let w = TextNormalizer.whitespaceLength(p, i, e)
            if w > 0 { i += w; continue }
            let d = TextNormalizer.dashLength(p, i, e)
            if d > 0 { i += d; continue }
            if TextNormalizer.isASCIILetter(b) || b == UInt8(ascii: "#") || b == UInt8(ascii: ";") {
                if let range = Self.extensionDigits(p, i, e) {
                    extensionRange = range
                    break scan
                }
                if b == UInt8(ascii: "#") || b == UInt8(ascii: ";") {
                    if Self.hasMarkerOnly(p, i, e) { return invalid("phone extension marker has no digits") }
                    return invalid("phone number contains an unexpected character '\(TextNormalizer.scalarText(p, i, e))'")
                }
                if Self.hasMarkerOnly(p, i, e) { return invalid("phone extension marker has no digits") }
                return invalid("phone number contains letters (vanity numbers are not converted)")
            }
            if b == UInt8(ascii: "+") { return invalid("phone number has a '+' that is not at the start") }
            return invalid("phone number contains an unexpected character '\(TextNormalizer.scalarText(p, i, e))'")
        }

        if plus {
            if digits == 0 { return invalid("phone number has no digits") }
            if firstDigit != UInt8(ascii: "1") {
                return invalid("phone number has a country code other than +1 (not a North American number)")
            }
            if digits != 11 { return invalid("phone number has \(digits) digits after +, expected 11 (+1 and 10 digits)") }
            value -= 10_000_000_000
        } else if digits == 11 {
            if firstDigit != UInt8(ascii: "1") {
                return invalid("phone number has 11 digits but does not start with country code 1")
            }
            value -= 10_000_000_000
        } else if digits != 10 {
            return invalid("phone number has \(digits) digits, expected 10")
        }

        let area = value / 10_000_000
        let exchange = (value / 10_000) % 1000
        let line = value % 10_000
        if area < 200 { return invalid("area code \(Self.three(area)) starts with \(area / 100); NANP area codes start with 2–9") }
        if area % 100 == 11 { return invalid("area code \(area) is an N11 service code, not an area code") }
        if exchange < 200 {
            return invalid("exchange \(Self.three(exchange)) starts with \(exchange / 100); NANP exchanges start with 2–9")
        }
        if exchange % 100 == 11 { return invalid("exchange \(exchange) is an N11 service code, not an exchange") }

        let phone = TextNormalizer.dashed(area, width: 3, exchange, width: 3, line, width: 4)
        if let range = extensionRange {
            // "extension 12 dropped", built in one allocation (interpolation costs several).
            let head: StaticString = "extension ", tail: StaticString = " dropped"
            let n = range.count
            let message = TextNormalizer.makeASCII(count: head.utf8CodeUnitCount + n + tail.utf8CodeUnitCount) { out in
                var o = 0
                for k in 0..<head.utf8CodeUnitCount { out[o] = head.utf8Start[k]; o += 1 }
                for k in range { out[o] = p[k]; o += 1 }
                for k in 0..<tail.utf8CodeUnitCount { out[o] = tail.utf8Start[k]; o += 1 }
            }
            return .value(phone, warning: NormalizeWarning(code: .phoneExtensionDropped, message: message))
        }
        return .value(phone)
    }

    private static func three(_ n: Int) -> String {
        n < 10 ? "00\(n)" : n < 100 ? "0\(n)" : "\(n)"
    }

    /// True when the bytes at `i` are `word` (lower-case ASCII), compared case-insensitively.
    @inline(__always)
    private static func matches(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ e: Int, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard n <= e - i else { return false }
        let w = word.utf8Start
        for k in 0..<n {
            let b = p[i + k]
            if (TextNormalizer.isASCIILetter(b) ? b | 0x20 : b) != w[k] { return false }
        }
        return true
    }

    /// Length of the extension marker at `i` (`;ext=`, `extension`, `ext.`, `ext:`, `ext`, `x`,
    /// `#`, case-insensitive), or 0.
    private static func markerLength(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ e: Int) -> Int {
        let b = p[i]
        if b == UInt8(ascii: "#") { return 1 }
        if b == UInt8(ascii: ";") { return matches(p, i, e, ";ext=") ? 5 : 0 }
        switch b | 0x20 { // only 'x'/'X' and 'e'/'E' fold onto these
        case UInt8(ascii: "x"):
            return 1
        case UInt8(ascii: "e"):
            if matches(p, i, e, "extension") { return 9 }
            guard matches(p, i, e, "ext") else { return 0 }
            if i + 3 < e, p[i + 3] == UInt8(ascii: ".") || p[i + 3] == UInt8(ascii: ":") { return 4 }
            return 3
        default:
            return 0
        }
    }

    /// If `i` starts `marker [whitespace] digits` running to `e`, the range of the digits.
    private static func extensionDigits(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ e: Int) -> Range<Int>? {
        let m = markerLength(p, i, e)
        if m == 0 { return nil }
        var j = i + m
        while j < e {
            let w = TextNormalizer.whitespaceLength(p, j, e)
            if w == 0 { break }
            j += w
        }
        let start = j
        while j < e, TextNormalizer.isDigit(p[j]) { j += 1 }
        if j == start || j != e { return nil }
        return start..<e
    }

    /// True when `i` starts an extension marker with nothing after it but whitespace.
    private static func hasMarkerOnly(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ e: Int) -> Bool {
        let m = markerLength(p, i, e)
        if m == 0 { return false }
        var j = i + m
        while j < e {
            let w = TextNormalizer.whitespaceLength(p, j, e)
            if w == 0 { return false }
            j += w
        }
        return true
    }

    /// `5.55234E+09`, `5E9`, `5.55234e+009`: a number Excel shows in scientific notation.
    private static func isScientific(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
        var i = s
        let intStart = i
        while i < e, TextNormalizer.isDigit(p[i]) { i += 1 }
        if i == intStart { return false }
        if i < e, p[i] == UInt8(ascii: ".") {
            i += 1
            while i < e, TextNormalizer.isDigit(p[i]) { i += 1 }
        }
        guard i < e, p[i] | 0x20 == UInt8(ascii: "e") else { return false }
        i += 1
        if i < e, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
        let expStart = i
        while i < e, TextNormalizer.isDigit(p[i]) { i += 1 }
        return i == e && i > expStart
    }
}

extension PhoneNormalizer: NormalizerComponent {
    public static let spec = ComponentSpec(.normalizer, name,
        summary: "XXX-XXX-XXXX. Accepts a +1/1 prefix and punctuation; an extension is dropped with a warning; rejects NANP-invalid area or exchange codes, a wrong length, letters.",
        example: "normalize:\n  home_phone: phone")
    public static func make(_ options: ConfigSection) -> PhoneNormalizer { PhoneNormalizer() }
}
