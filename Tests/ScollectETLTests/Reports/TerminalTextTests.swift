@testable import ScollectETL
import Testing

struct TerminalTextTests {
    @Test func controlCharactersAreShownEscapedAndTextIsKept() {
        #expect(TerminalText.printable("Data not found for this filenumber") == "Data not found for this filenumber")
        #expect(TerminalText.printable("a\u{1B}[2Jb\u{07}c\rd\u{9B}e\u{7F}f\u{202E}g\th") == "a\\x1B[2Jb\\x07c\\x0Dd\\x9Be\\x7Ff\\u202Eg\th")
        #expect(TerminalText.printable("line 1\nline 2") == "line 1\\x0Aline 2")
        #expect(TerminalText.printable("line 1\nline 2\u{1B}", keepingNewlines: true) == "line 1\nline 2\\x1B")
        #expect(TerminalText.printable("Café 5123…") == "Café 5123…")
    }
}
