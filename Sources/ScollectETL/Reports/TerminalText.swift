/// Text from outside (a server's message, a value from a creditor's file) made safe to print on
/// an operator's terminal: control characters (C0 but tab, DEL, C1: escape sequences, bells,
/// carriage returns that overwrite a line) and the bidirectional overrides that reorder what is
/// shown are replaced by a visible `\x1B`-style escape, so nothing can move the cursor, retitle
/// the window or hide text.
public enum TerminalText {
    /// - Parameter keepingNewlines: a multi-line notice of our own keeps its line breaks.
    public static func printable(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0, keepingNewlines: keepingNewlines) }) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if isControl(scalar, keepingNewlines: keepingNewlines) {
                let digits = String(scalar.value, radix: 16, uppercase: true)
                result += scalar.value <= 0xFF ? "\\x" + String(repeating: "0", count: 2 - digits.count) + digits
                                               : "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func isControl(_ scalar: Unicode.Scalar, keepingNewlines: Bool) -> Bool {
        switch scalar.value {
        case 0x09: return false
        case 0x0A: return !keepingNewlines
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true // bidi embeddings, overrides, isolates, marks
        default: return false
        }
    }
}
