/// US Social Security numbers, output `XXX-XX-XXXX`.
///
/// Accepted: `123-45-6789`, `123 45 6789`, `123456789`; separators may be `-`, a space, NBSP,
/// or a Unicode dash (en/em dash from cp1252 0x96/0x97, hyphen, minus), one per gap, groups
/// exactly 3-2-4. Surrounding Unicode whitespace is trimmed. A bare digit string may carry
/// Excel's trailing `.0`, and may have 7 or 8 digits when a spreadsheet stripped leading zeros:
/// it is left-padded with zeros.
///
/// Rejected (`INVALID_SSN`): other digit counts, letters or other characters, bad grouping,
/// area 000, 666 or 900–999, group 00, serial 0000.
public struct SSNNormalizer: Normalizer {
    public static let name = "ssn"

    public init() {}

    public func normalize(_ raw: String) -> Normalized {
        TextNormalizer.withBytes(raw) { normalize(bytes: $0) }
    }

    private func invalid(_ message: String) -> Normalized { .invalid(.invalidSSN, message) }

    public func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Normalized { normalize(bytes: bytes) }

    private func normalize(bytes p: UnsafeBufferPointer<UInt8>) -> Normalized {
        var (s, e) = TextNormalizer.trimmed(p)
        if s == e { return .blank }

        // Excel artefact: a numeric cell written as `123456789.0`.
        if e - s >= 3, p[e - 2] == UInt8(ascii: "."), p[e - 1] == UInt8(ascii: "0") {
            var allDigits = true
            for i in s..<(e - 2) where !TextNormalizer.isDigit(p[i]) { allDigits = false; break }
            if allDigits { e -= 2 }
        }

        var value = 0
        var digits = 0
        var groupLength = 0
        var groups = 0           // separators seen
        var groupLengths = (0, 0) // lengths of the groups before the 1st and 2nd separator
        var i = s
        while i < e {
            let b = p[i]
            if TextNormalizer.isDigit(b) {
                if digits < 9 { value = value * 10 + Int(b - 0x30) }
                digits += 1
                groupLength += 1
                i += 1
                continue
            }
            var n = TextNormalizer.dashLength(p, i, e)
            if n == 0 {
                // Space or NBSP between groups.
                if b == 0x20 { n = 1 } else if b == 0xC2, i + 1 < e, p[i + 1] == 0xA0 { n = 2 }
            }
            if n > 0 {
                if groupLength == 0 { return invalid("SSN has a misplaced separator") }
                if groups == 0 { groupLengths.0 = groupLength } else if groups == 1 { groupLengths.1 = groupLength }
                groups += 1
                groupLength = 0
                i += n
                continue
            }
            if TextNormalizer.isASCIILetter(b) { return invalid("SSN contains letters") }
            return invalid("SSN contains an unexpected character '\(TextNormalizer.scalarText(p, i, e))'")
        }
        if groupLength == 0 { return invalid("SSN has a misplaced separator") }

        if groups == 0 {
            // 7 or 8 digits: leading zeros stripped by a spreadsheet; `value` is already padded.
            if digits < 7 || digits > 9 { return invalid("SSN has \(digits) digits, expected 9") }
        } else {
            if digits != 9 { return invalid("SSN has \(digits) digits, expected 9") }
            if groups != 2 || groupLengths.0 != 3 || groupLengths.1 != 2 {
                return invalid("SSN digits are not grouped 3-2-4")
            }
        }

        let area = value / 1_000_000
        let group = (value / 10_000) % 100
        let serial = value % 10_000
        if area == 0 { return invalid("SSN area number 000 is never issued") }
        if area == 666 { return invalid("SSN area number 666 is never issued") }
        if area >= 900 { return invalid("SSN area number \(area) is never issued (900–999 are not SSN areas)") }
        if group == 0 { return invalid("SSN group number 00 is never issued") }
        if serial == 0 { return invalid("SSN serial number 0000 is never issued") }

        return .value(TextNormalizer.dashed(area, width: 3, group, width: 2, serial, width: 4))
    }
}

extension SSNNormalizer: NormalizerComponent {
    public static let spec = ComponentSpec(.normalizer, name,
        summary: "XXX-XX-XXXX. Accepts dashes, spaces, 7–8 digit values whose leading zeros a spreadsheet stripped; rejects area 000/666/900–999, group 00, serial 0000, a wrong length.",
        example: "normalize:\n  ssn: ssn")
    public static func make(_ options: ConfigSection) -> SSNNormalizer { SSNNormalizer() }
}
