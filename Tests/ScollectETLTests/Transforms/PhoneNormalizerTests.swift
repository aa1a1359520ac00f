import Testing
@testable import ScollectETL

@Suite("PhoneNormalizer")
struct PhoneNormalizerTests {
    let normalizer = PhoneNormalizer()

    @Test func name() {
        #expect(PhoneNormalizer.name == "phone")
    }

    @Test("accepted forms", arguments: [
        ("5552345678", "555-234-5678"),
        ("555-234-5678", "555-234-5678"),
        ("(555) 234-5678", "555-234-5678"),
        ("(555)234-5678", "555-234-5678"),
        ("555.234.5678", "555-234-5678"),
        ("555 234 5678", "555-234-5678"),
        ("555/234-5678", "555-234-5678"),
        ("+1 555 234 5678", "555-234-5678"),
        ("+15552345678", "555-234-5678"),
        ("+1 (555) 234-5678", "555-234-5678"),
        ("+1-555-234-5678", "555-234-5678"),
        ("1-555-234-5678", "555-234-5678"),
        ("1 (555) 234-5678", "555-234-5678"),
        ("15552345678", "555-234-5678"),
        ("5552345678.0", "555-234-5678"),                   // Excel numeric cell
        ("15552345678.0", "555-234-5678"),
        ("555\u{2013}234\u{2013}5678", "555-234-5678"),     // en dash (cp1252 0x96)
        ("555\u{2014}234\u{2014}5678", "555-234-5678"),     // em dash (cp1252 0x97)
        ("\u{00A0}(555)\u{00A0}234-5678\u{00A0}", "555-234-5678"), // NBSP (cp1252 0xA0)
        ("  555-234-5678\t", "555-234-5678"),
        ("212-555-0100", "212-555-0100"),
        ("999-999-9999", "999-999-9999"),
        ("201-200-0000", "201-200-0000"),
    ])
    func accepts(raw: String, expected: String) {
        #expect(normalizer.normalize(raw) == .value(expected))
    }

    @Test("extensions are dropped with a warning", arguments: [
        ("(555) 234-5678 x12", "12"),
        ("555-234-5678x12", "12"),
        ("555-234-5678 X 12", "12"),
        ("555-234-5678 ext 12", "12"),
        ("555-234-5678 ext12", "12"),
        ("555-234-5678 ext. 12", "12"),
        ("555-234-5678 Ext. 12", "12"),
        ("555-234-5678 EXT: 12", "12"),
        ("555-234-5678 extension 12", "12"),
        ("555-234-5678 Extension 12", "12"),
        ("555-234-5678 #12", "12"),
        ("555-234-5678;ext=12", "12"),
        ("+1 555 234 5678 x 0042", "0042"),
        ("555-234-5678\u{00A0}x12", "12"),
        ("5552345678x123456", "123456"),
    ])
    func dropsExtension(raw: String, ext: String) {
        #expect(normalizer.normalize(raw) == .value(
            "555-234-5678",
            warning: NormalizeWarning(code: .phoneExtensionDropped, message: "extension \(ext) dropped")))
    }

    @Test func extensionExampleFromTheSpec() {
        let result = normalizer.normalize("(555) 234-5678 x12")
        #expect(result == .value("555-234-5678",
                                 warning: NormalizeWarning(code: .phoneExtensionDropped, message: "extension 12 dropped")))
    }

    @Test("blank", arguments: ["", "   ", "\u{00A0}\u{00A0}", "\r\n"])
    func blank(raw: String) {
        #expect(normalizer.normalize(raw) == .blank)
    }

    @Test("rejected", arguments: [
        ("555-2345", "7 digits"),
        ("555-234-567", "9 digits"),
        ("555-234-56789", "11 digits but does not start with country code 1"),
        ("555-234-5678-9", "11 digits but does not start with country code 1"),
        ("1-555-234-56789", "12 digits"),
        ("555234567.0", "9 digits"),
        ("+1 555 234 567", "after +"),
        ("+44 20 7946 0958", "country code other than +1"),
        ("+52 55 1234 5678", "country code other than +1"),
        ("+", "no digits"),
        ("1-800-FLOWERS", "letters"),
        ("555-CALL-NOW", "letters"),
        ("555-234-5678 (home)", "letters"),
        ("555-234-5678 x", "extension marker has no digits"),
        ("555-234-5678 ext.", "extension marker has no digits"),
        ("555-234-5678 x12 work", "letters"),
        ("5.55234E+09", "scientific notation"),
        ("5.55234e+9", "scientific notation"),
        ("5E9", "scientific notation"),
        ("055-234-5678", "area code 055 starts with 0"),
        ("155-234-5678", "area code 155 starts with 1"),
        ("211-234-5678", "area code 211 is an N11"),
        ("311-234-5678", "area code 311 is an N11"),
        ("411-234-5678", "area code 411 is an N11"),
        ("911-234-5678", "area code 911 is an N11"),
        ("555-034-5678", "exchange 034 starts with 0"),
        ("555-123-5678", "exchange 123 starts with 1"),
        ("555-411-5678", "exchange 411 is an N11"),
        ("555-911-5678", "exchange 911 is an N11"),
        ("+1 055 234 5678", "area code 055"),
        ("555_234_5678", "unexpected character '_'"),
        ("555-234-5678, 555-234-9999", "unexpected character ','"),
        ("555-234-5678 +1", "'+' that is not at the start"),
        ("555\u{2022}234\u{2022}5678", "unexpected character '\u{2022}'"),
    ])
    func rejects(raw: String, messageContains: String) {
        let result = normalizer.normalize(raw)
        guard case .invalid(let code, let message) = result else {
            Issue.record("expected INVALID_PHONE for \(raw), got \(result)")
            return
        }
        #expect(code == .invalidPhone)
        #expect(message.contains(messageContains), "message: \(message)")
    }
}
