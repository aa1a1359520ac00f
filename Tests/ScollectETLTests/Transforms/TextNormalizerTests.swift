import Testing
@testable import ScollectETL

@Suite("TextNormalizer and UpperNormalizer")
struct TextNormalizerTests {
    let text = TextNormalizer()
    let upper = UpperNormalizer()

    @Test func names() {
        #expect(TextNormalizer.name == "text")
        #expect(UpperNormalizer.name == "upper")
    }

    @Test("text trims Unicode whitespace and nothing else", arguments: [
        ("Jane Doe", "Jane Doe"),
        ("  Jane Doe  ", "Jane Doe"),
        ("\u{00A0}Jane Doe\u{00A0}", "Jane Doe"),        // NBSP (cp1252 0xA0)
        ("\tJane  Doe\r\n", "Jane  Doe"),                  // inner runs are kept
        ("Jane\u{00A0}Doe", "Jane\u{00A0}Doe"),
        ("\u{2003}\u{3000}José Ñúñez\u{202F}\u{205F}", "José Ñúñez"),
        ("\u{2013}dash\u{2013}", "\u{2013}dash\u{2013}"), // en dash is not whitespace
        ("\u{200B}zero width\u{200B}", "\u{200B}zero width\u{200B}"), // nor is U+200B
        ("\u{FEFF}bom", "\u{FEFF}bom"),                  // nor the BOM (the reader's job)
        ("é", "é"),
        ("a", "a"),
        ("\u{0085}x\u{1680}", "x"),
    ])
    func textTrims(raw: String, expected: String) {
        #expect(text.normalize(raw) == .value(expected))
    }

    @Test("upper trims and upper-cases", arguments: [
        ("ca", "CA"),
        (" ny ", "NY"),
        ("\u{00A0}Tx\u{00A0}", "TX"),
        ("NY", "NY"),
        ("n.y.", "N.Y."),
        ("québec", "QUÉBEC"),
        ("\u{00A0}straße ", "STRASSE"),
    ])
    func upperCases(raw: String, expected: String) {
        #expect(upper.normalize(raw) == .value(expected))
        // The reader's path, on the cell's bytes, gives the same.
        var copy = raw
        #expect(copy.withUTF8 { upper.normalize(utf8: $0) } == .value(expected))
    }

    @Test("blank", arguments: ["", " ", "\u{00A0}", "\t\r\n \u{2028}\u{2029}\u{3000}"])
    func blank(raw: String) {
        #expect(text.normalize(raw) == .blank)
        #expect(upper.normalize(raw) == .blank)
        var copy = raw
        #expect(copy.withUTF8 { upper.normalize(utf8: $0) } == .blank)
    }

    /// The byte-level whitespace table must agree with the Unicode White_Space property.
    @Test func whitespaceTableMatchesUnicode() {
        for v in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v) else { continue }
            let bytes = Array(String(Character(scalar)).utf8)
            let length = bytes.withUnsafeBufferPointer { TextNormalizer.whitespaceLength($0, 0, $0.count) }
            let before = bytes.withUnsafeBufferPointer { TextNormalizer.whitespaceLengthBefore($0, $0.count, 0) }
            let expected = scalar.properties.isWhitespace ? bytes.count : 0
            if length != expected || before != expected {
                Issue.record("U+\(String(v, radix: 16, uppercase: true)): \(length)/\(before), expected \(expected)")
            }
        }
    }

    @Test func trimDoesNotSplitMultibyteScalars() {
        // U+0120 is C4 A0: its last byte matches NBSP's but it is not whitespace.
        #expect(text.normalize("x\u{0120}") == .value("x\u{0120}"))
        // U+20A0 is E2 82 A0: ends in A0 too.
        #expect(text.normalize("\u{20A0}") == .value("\u{20A0}"))
    }
}
