import Testing
@testable import ScollectETL

@Suite("MoneyNormalizer")
struct MoneyNormalizerTests {
    let normalizer = MoneyNormalizer()

    @Test func name() {
        #expect(MoneyNormalizer.name == "money")
    }

    @Test("accepted forms", arguments: [
        ("$1,234.50", "1234.50"),
        ("1234.5", "1234.50"),
        ("1234.50", "1234.50"),
        ("1,234", "1234.00"),
        ("1234", "1234.00"),
        ("0", "0.00"),
        ("0.5", "0.50"),
        (".5", "0.50"),
        ("12.", "12.00"),
        ("007.10", "7.10"),
        ("1,234,567.89", "1234567.89"),
        ("999,999,999,999,999.99", "999999999999999.99"),  // 15 integer digits
        ("(12.00)", "-12.00"),
        ("($12.00)", "-12.00"),
        ("$(12.00)", "-12.00"),
        ("( 12.00 )", "-12.00"),
        ("-$12.00", "-12.00"),
        ("$-12.00", "-12.00"),
        ("-12", "-12.00"),
        ("12.00-", "-12.00"),
        ("$12.00-", "-12.00"),
        ("+12.00", "12.00"),
        ("+$1,000", "1000.00"),
        ("12.500", "12.50"),
        ("12.5000000", "12.50"),
        ("-0.00", "0.00"),
        ("USD 809.00", "809.00"),
        ("809.00 USD", "809.00"),
        ("US$809", "809.00"),
        ("usd 1,234.50", "1234.50"),
        ("809.00USD", "809.00"),
        ("US$ 809", "809.00"),
        ("USD -12.00", "-12.00"),
        ("(0.00)", "0.00"),
        ("0.00-", "0.00"),
        ("$ 1,234.50", "1234.50"),                 // Excel accounting format
        (" $ (1,234.50) ", "-1234.50"),
        ("\u{00A0}$1,234.50\u{00A0}", "1234.50"), // NBSP around (cp1252 0xA0)
        ("$\u{00A0}12.00", "12.00"),
        ("- 12.00", "-12.00"),
    ])
    func accepts(raw: String, expected: String) {
        #expect(normalizer.normalize(raw) == .value(expected))
    }

    // Amounts already in the output format take a short way; those that only look like one
    // (a leading zero, 16 integer digits, a letter among the digits) must take the long one.
    @Test("already in the output format, or nearly", arguments: [
        ("0.00", "0.00"),
        ("0.07", "0.07"),
        ("00.07", "0.07"),
        ("0123.45", "123.45"),
        ("1.50", "1.50"),
        (" 12.34\u{00A0}", "12.34"),
        ("123456789012345.67", "123456789012345.67"),
    ])
    func plainAmounts(raw: String, expected: String) {
        #expect(normalizer.normalize(raw) == .value(expected))
        var copy = raw
        #expect(copy.withUTF8 { normalizer.normalize(utf8: $0) } == .value(expected))
    }

    @Test("nearly plain, refused", arguments: [
        ("1234567890123456.78", "16 integer digits"),
        ("12a4.50", "letters"),
        ("12.3x", "letters"),
        ("1 234.50", "after the end of the number"),
    ])
    func nearlyPlainRefused(raw: String, messageContains: String) {
        guard case .invalid(let code, let message) = normalizer.normalize(raw) else {
            Issue.record("\(raw) was accepted")
            return
        }
        #expect(code == .invalidMoney)
        #expect(message.contains(messageContains), "message: \(message)")
    }

    @Test("blank", arguments: ["", "  ", "\u{00A0}", "\t\r\n"])
    func blank(raw: String) {
        #expect(normalizer.normalize(raw) == .blank)
    }

    @Test("rejected", arguments: [
        ("12.345", "more than 2 decimals"),
        ("12.001", "more than 2 decimals"),
        ("0.0050", "more than 2 decimals"),
        ("1.234,50", "European"),
        ("1.234.567,89", "more than one decimal point"),
        ("12,50", "misplaced thousands separator"),
        ("1,23,4", "misplaced thousands separator"),
        ("1234,567", "misplaced thousands separator"),
        ("1,2345", "misplaced thousands separator"),
        ("1,", "misplaced thousands separator"),
        (",123", "misplaced thousands separator"),
        ("1,,234", "misplaced thousands separator"),
        ("1,234.5,0", "European"),
        ("EUR 12", "EUR is not US dollars"),
        ("12.00 gbp", "GBP is not US dollars"),
        ("809.00CAD", "CAD is not US dollars"),
        ("C$12", "C$ is not US dollars"),
        ("CA$12", "CA$ is not US dollars"),
        ("USD", "no digits"),
        ("12.00 dollars", "letters"),
        ("€12", "currency symbol '€'"),
        ("12€", "currency symbol '€'"),
        ("£12.00", "currency symbol '£'"),
        ("()", "empty parentheses"),
        ("( )", "empty parentheses"),
        ("$", "no digits"),
        ("-", "no digits"),
        (".", "no digits"),
        ("(12.00", "unbalanced parentheses"),
        ("12.00)", "unbalanced parentheses"),
        ("((12.00))", "more than one '('"),
        ("(-12.00)", "more than one sign"),
        ("-12.00-", "more than one sign"),
        ("--12", "more than one sign"),
        ("+-12", "more than one sign"),
        ("$$12", "more than one '$'"),
        ("1234567890123456", "16 integer digits"),
        ("9,999,999,999,999,999.00", "16 integer digits"),
        ("1.5E+06", "letters"),
        ("12abc", "letters"),
        ("N/A", "letters"),
        ("1 234.50", "digits after the end of the number"),
        ("12.00 - 5", "digits after the end of the number"),
        ("12%", "unexpected character '%'"),
        ("\u{2013}12.00", "unexpected character '\u{2013}'"),
        ("12.00$", "unexpected character '$'"),
    ])
    func rejects(raw: String, messageContains: String) {
        let result = normalizer.normalize(raw)
        guard case .invalid(let code, let message) = result else {
            Issue.record("expected INVALID_MONEY for \(raw), got \(result)")
            return
        }
        #expect(code == .invalidMoney)
        #expect(message.contains(messageContains), "message: \(message)")
    }
}
