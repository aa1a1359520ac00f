/// US-dollar amounts, output a plain decimal with exactly two decimals, a leading `-` when
/// negative and no thousands separators: `$1,234.50` → `1234.50`.
///
/// Accepted: an optional `$`, a sign as a leading `-`/`+` (before or after the `$`), a trailing
/// `-`, or accounting parentheses `(12.00)` / `($12.00)` / `$(12.00)`; whitespace around these;
/// digits with correctly placed `,` thousands separators (groups of 3); a `.` and any number of
/// decimals as long as those after the second are zeros (`12.500` → `12.50`). `-0.00` → `0.00`.
///
/// US-dollar codes are read as dollars: `USD 809.00`, `809.00 USD`, `US$809` (any case).
///
/// Rejected (`INVALID_MONEY`), never rounded or guessed: more than 2 significant decimals,
/// European `1.234,50`, misplaced thousands separators (`1,23,4`, `12,50`), other currency codes
/// (`EUR 12` — "EUR is not US dollars", `C$12`), currency words and other symbols (`€12`), more
/// than one sign, unbalanced or empty parentheses, more than 15 integer digits, letters
/// (including Excel's `1.5E+06`).
public struct MoneyNormalizer: Normalizer {
    public static let name = "money"

    public init() {}

    public func normalize(_ raw: String) -> Normalized {
        TextNormalizer.withBytes(raw) { normalize(bytes: $0) }
    }

    private func invalid(_ message: String) -> Normalized { .invalid(.invalidMoney, message) }

    private func unexpected(_ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ e: Int) -> Normalized {
        let b = p[i]
        if TextNormalizer.isASCIILetter(b) {
            return invalid("amount contains letters (currency words and codes are not accepted)")
        }
        if b == UInt8(ascii: ".") { return invalid("amount has more than one decimal point") }
        if TextNormalizer.isDigit(b) { return invalid("amount has digits after the end of the number (whitespace inside it?)") }
        let text = TextNormalizer.scalarText(p, i, e)
        switch text {
        case "€", "£", "¥", "¢", "₹", "₩", "₽", "¤":
            return invalid("amount has currency symbol '\(text)'; only US dollars ($) are accepted")
        default:
            return invalid("amount contains an unexpected character '\(text)'")
        }
    }

    public func normalize(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Normalized { normalize(bytes: bytes) }

    /// Drops a leading `USD` / `US$` (the `$` stays for the parser) or a trailing `USD` from
    /// `s..<e`; another code (`EUR 12`, `12 GBP`, `C$12`) is refused, naming it. Letters that do
    /// not look like a code are left for the parser to refuse.
    private func currencyCode(_ p: UnsafeBufferPointer<UInt8>, _ s: inout Int, _ e: inout Int) -> Normalized? {
        func letters(_ from: Int, _ to: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: p[from..<to]), as: UTF8.self).uppercased()
        }
        /// Three letters are a code when written in capitals or set apart by whitespace (`12abc` is not).
        func isCode(_ from: Int, _ to: Int, apart: Bool) -> Bool {
            to - from == 3 && (apart || (from..<to).allSatisfy { p[$0] >= 65 && p[$0] <= 90 })
        }
        var i = s
        while i < e, TextNormalizer.isASCIILetter(p[i]) { i += 1 }
        if i > s {
            let code = letters(s, i)
            if i < e, p[i] == UInt8(ascii: "$"), i - s <= 3 {
                guard code == "US" else { return invalid("\(code)$ is not US dollars") }
                s = i
            } else if isCode(s, i, apart: i < e && TextNormalizer.whitespaceLength(p, i, e) > 0) {
                guard code == "USD" else { return invalid("\(code) is not US dollars") }
                s = i
                while s < e, TextNormalizer.whitespaceLength(p, s, e) > 0 { s += TextNormalizer.whitespaceLength(p, s, e) }
            }
        }
        guard s < e else { return invalid("amount has no digits") }
        var j = e
        while j > s, TextNormalizer.isASCIILetter(p[j - 1]) { j -= 1 }
        if j > s, isCode(j, e, apart: TextNormalizer.whitespaceLengthBefore(p, j, s) > 0) {
            let code = letters(j, e)
            guard code == "USD" else { return invalid("\(code) is not US dollars") }
            e = j
            while e > s, TextNormalizer.whitespaceLengthBefore(p, e, s) > 0 { e -= TextNormalizer.whitespaceLengthBefore(p, e, s) }
        }
        return nil
    }

    /// `1234.50`, `0.07`: an amount already in the output format (digits, no leading zero, no
    /// sign, separator or symbol, two decimals, at most 15 integer digits) is kept as it is,
    /// which is what the full parse below makes of it. Half the amounts of a file, or more.
    @inline(__always)
    private static func plainAmount(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> String? {
        let count = e - s
        guard count >= 4, count <= 18, p[e - 3] == UInt8(ascii: "."),
              TextNormalizer.isDigit(p[e - 2]), TextNormalizer.isDigit(p[e - 1]),
              p[s] != UInt8(ascii: "0") || count == 4 else { return nil }
        for i in s..<(e - 3) where !TextNormalizer.isDigit(p[i]) { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: p[s..<e]), as: UTF8.self)
    }

    private func normalize(bytes p: UnsafeBufferPointer<UInt8>) -> Normalized {
        var (s, e) = TextNormalizer.trimmed(p)
        if s == e { return .blank }
        if let plain = Self.plainAmount(p, s, e) { return .value(plain) }
        if TextNormalizer.isASCIILetter(p[s]) || TextNormalizer.isASCIILetter(p[e - 1]) {
            if let refused = currencyCode(p, &s, &e) { return refused }
        }

        var i = s
        var negative = false
        var signs = 0
        var openParen = false
        var closeParen = false
        var dollar = false

        // Prefix: `(`, `-`/`+`, `$` and whitespace, in any order, each symbol at most once.
        prefix: while i < e {
            switch p[i] {
            case UInt8(ascii: "("):
                if openParen { return invalid("amount has more than one '('") }
                openParen = true
                i += 1
            case UInt8(ascii: "-"):
                signs += 1
                negative = true
                i += 1
            case UInt8(ascii: "+"):
                signs += 1
                i += 1
            case UInt8(ascii: "$"):
                if dollar { return invalid("amount has more than one '$'") }
                dollar = true
                i += 1
            default:
                let w = TextNormalizer.whitespaceLength(p, i, e)
                if w == 0 { break prefix }
                i += w
            }
        }

        // Integer part, with optional thousands separators.
        let intStart = i
        var groupLength = 0
        var groups = 0 // commas seen
        while i < e {
            let b = p[i]
            if TextNormalizer.isDigit(b) {
                groupLength += 1
                i += 1
            } else if b == UInt8(ascii: ",") {
                if groupLength == 0 || groupLength > 3 || (groups > 0 && groupLength != 3) {
                    return invalid("amount has a misplaced thousands separator")
                }
                groups += 1
                groupLength = 0
                i += 1
            } else {
                break
            }
        }
        let intEnd = i
        if groups > 0 && groupLength != 3 { return invalid("amount has a misplaced thousands separator") }

        // Fraction.
        var fracStart = i
        var fracEnd = i
        if i < e, p[i] == UInt8(ascii: ".") {
            i += 1
            fracStart = i
            while i < e, TextNormalizer.isDigit(p[i]) { i += 1 }
            fracEnd = i
            if i < e, p[i] == UInt8(ascii: ",") {
                return invalid("amount uses ',' as the decimal separator (European format)")
            }
        }
        if intEnd == intStart && fracEnd == fracStart {
            if i < e && p[i] != UInt8(ascii: ")") { return unexpected(p, i, e) }
            return invalid(openParen ? "amount has empty parentheses" : "amount has no digits")
        }

        // Suffix: `)`, a trailing `-`, whitespace.
        while i < e {
            switch p[i] {
            case UInt8(ascii: ")"):
                if !openParen || closeParen { return invalid("amount has unbalanced parentheses") }
                closeParen = true
                i += 1
            case UInt8(ascii: "-"):
                signs += 1
                negative = true
                i += 1
            default:
                let w = TextNormalizer.whitespaceLength(p, i, e)
                if w == 0 { return unexpected(p, i, e) }
                i += w
            }
        }
        if openParen != closeParen { return invalid("amount has unbalanced parentheses") }
        if openParen { signs += 1; negative = true }
        if signs > 1 { return invalid("amount has more than one sign") }

        // Significant integer digits (commas skipped, leading zeros dropped).
        var firstSignificant = intEnd
        var significant = 0
        for k in intStart..<intEnd {
            let b = p[k]
            if b == UInt8(ascii: ",") { continue }
            if significant == 0 && b == UInt8(ascii: "0") { continue }
            if significant == 0 { firstSignificant = k }
            significant += 1
        }
        if significant > 15 { return invalid("amount has \(significant) integer digits, more than 15") }

        let fracDigits = fracEnd - fracStart
        if fracDigits > 2 {
            for k in (fracStart + 2)..<fracEnd where p[k] != UInt8(ascii: "0") {
                return invalid("amount has more than 2 decimals; it is never rounded")
            }
        }
        let d1: UInt8 = fracDigits >= 1 ? p[fracStart] : UInt8(ascii: "0")
        let d2: UInt8 = fracDigits >= 2 ? p[fracStart + 1] : UInt8(ascii: "0")
        let zero = significant == 0 && d1 == UInt8(ascii: "0") && d2 == UInt8(ascii: "0")
        let minus = negative && !zero

        let count = (minus ? 1 : 0) + max(significant, 1) + 3
        return .value(TextNormalizer.makeASCII(count: count) { out in
            var o = 0
            if minus { out[0] = UInt8(ascii: "-"); o = 1 }
            if significant == 0 {
                out[o] = UInt8(ascii: "0")
                o += 1
            } else {
                for k in firstSignificant..<intEnd where p[k] != UInt8(ascii: ",") {
                    out[o] = p[k]
                    o += 1
                }
            }
            out[o] = UInt8(ascii: ".")
            out[o + 1] = d1
            out[o + 2] = d2
        })
    }
}

extension MoneyNormalizer: NormalizerComponent {
    public static let spec = ComponentSpec(.normalizer, name,
        summary: "1234.50. Accepts $1,234.50, (12.00) → -12.00, USD 809.00, 809.00 USD, US$809; rejects more than 2 decimals, European separators, other currencies (EUR 12, C$12), currency words.",
        example: "normalize:\n  currentbalance: money")
    public static func make(_ options: ConfigSection) -> MoneyNormalizer { MoneyNormalizer() }
}
