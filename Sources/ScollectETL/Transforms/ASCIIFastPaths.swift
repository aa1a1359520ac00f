import Foundation

extension Substring {
    /// The text without the whitespace (`CharacterSet.whitespaces`: spaces, tabs, Unicode spaces)
    /// at either end: the same as Foundation's `trimmingCharacters(in: .whitespaces)`, which
    /// costs thousands of instructions a call, done over the UTF-8 bytes when the ends are ASCII
    /// (Foundation only for a non-ASCII byte at an end). Runs for every field an account's
    /// snapshot is compared on.
    func trimmingSpaces() -> String {
        let bytes = utf8
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end {
            let b = bytes[start]
            if b == 0x20 || b == 0x09 { start = bytes.index(after: start); continue }
            if b >= 0x80 { return trimmingCharacters(in: .whitespaces) }
            break
        }
        while end > start {
            let before = bytes.index(before: end)
            let b = bytes[before]
            if b == 0x20 || b == 0x09 { end = before; continue }
            if b >= 0x80 { return trimmingCharacters(in: .whitespaces) }
            break
        }
        return String(self[start..<end])
    }
}

extension String {
    /// `Substring.trimmingSpaces()`.
    func trimmingSpaces() -> String { self[...].trimmingSpaces() }
}

extension String {
    /// `lowercased()`, without a new string when there is nothing to lower (an API field name
    /// almost always): masking looks up every key of every audited body by its lower-case name.
    func lowercasedIfNeeded() -> String {
        for b in utf8 where (b >= 65 && b <= 90) || b >= 0x80 { return lowercased() }
        return self
    }
}
