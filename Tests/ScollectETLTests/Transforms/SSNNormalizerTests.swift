import Testing
@testable import ScollectETL

@Suite("SSNNormalizer")
struct SSNNormalizerTests {
    let normalizer = SSNNormalizer()

    @Test func name() {
        #expect(SSNNormalizer.name == "ssn")
    }

    @Test("accepted forms", arguments: [
        ("123-45-6789", "123-45-6789"),
        ("123 45 6789", "123-45-6789"),
        ("123456789", "123-45-6789"),
        ("123\u{2013}45\u{2013}6789", "123-45-6789"),      // en dash (cp1252 0x96)
        ("123\u{2014}45\u{2014}6789", "123-45-6789"),      // em dash (cp1252 0x97)
        ("123\u{00A0}45\u{00A0}6789", "123-45-6789"),      // NBSP separators
        ("123-45 6789", "123-45-6789"),                    // mixed separators, right grouping
        ("  123-45-6789  ", "123-45-6789"),
        ("\u{00A0}123-45-6789\u{00A0}", "123-45-6789"),    // NBSP around (cp1252 0xA0)
        ("\t123456789\r\n", "123-45-6789"),
        ("\u{3000}123456789\u{2003}", "123-45-6789"),      // other Unicode spaces
        ("123456789.0", "123-45-6789"),                    // Excel numeric cell
        ("1234567", "001-23-4567"),                        // Excel stripped two leading zeros
        ("12345678", "012-34-5678"),                       // Excel stripped one leading zero
        ("1234567.0", "001-23-4567"),
        ("001-01-0001", "001-01-0001"),
        ("899-99-9999", "899-99-9999"),
        ("665-12-3456", "665-12-3456"),
        ("667-12-3456", "667-12-3456"),
    ])
    func accepts(raw: String, expected: String) {
        #expect(normalizer.normalize(raw) == .value(expected))
    }

    @Test("blank", arguments: ["", " ", "\u{00A0}", " \t\u{00A0}\u{2009} "])
    func blank(raw: String) {
        #expect(normalizer.normalize(raw) == .blank)
    }

    @Test("rejected", arguments: [
        ("12345", "5 digits"),
        ("123456", "6 digits"),
        ("1234567890", "10 digits"),
        ("123-45-678", "8 digits"),            // padding only applies to bare digit strings
        ("12-345-6789", "not grouped 3-2-4"),
        ("1234-5-6789", "not grouped 3-2-4"),
        ("123-456789", "not grouped 3-2-4"),
        ("123--45-6789", "misplaced separator"),
        ("-123456789", "misplaced separator"),
        ("123-45-6789-", "misplaced separator"),
        ("123-AB-6789", "letters"),
        ("SSN 123456789", "letters"),
        ("123-45-678X", "letters"),
        ("123.45.6789", "unexpected character '.'"),
        ("123/45/6789", "unexpected character '/'"),
        ("123456789.5", "unexpected character '.'"),
        ("000-12-3456", "SSN area number 000 is never issued"),
        ("666-12-3456", "SSN area number 666 is never issued"),
        ("900-12-3456", "SSN area number 900 is never issued"),
        ("987-65-4321", "SSN area number 987 is never issued"),
        ("999-99-9999", "SSN area number 999 is never issued"),
        ("123-00-4567", "SSN group number 00 is never issued"),
        ("123-45-0000", "SSN serial number 0000 is never issued"),
        ("1000001", "SSN group number 00 is never issued"),     // padded: 001-00-0001
        ("12340000", "SSN serial number 0000 is never issued"), // padded: 012-34-0000
    ])
    func rejects(raw: String, messageContains: String) {
        let result = normalizer.normalize(raw)
        guard case .invalid(let code, let message) = result else {
            Issue.record("expected INVALID_SSN for \(raw), got \(result)")
            return
        }
        #expect(code == .invalidSSN)
        #expect(message.contains(messageContains), "message: \(message)")
    }
}
