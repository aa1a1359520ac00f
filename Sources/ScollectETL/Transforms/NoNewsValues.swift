/// Values that mean "nothing" in creditors' files (`options.no_news_values`): like a blank
/// cell they are "no news" and never overwrite a field; only the pipeline's clear marker
/// clears one (and it wins when it is also in this list).
///
/// A cell matches an entry when, spaces and tabs around it dropped, it is the entry ignoring
/// case (`null` = `NULL`), or the entry followed by a time of day (`0000-00-00 00:00:00`). In a
/// field normalised as a date, an entry that is a date also matches that day in any style the
/// normaliser reads (`1/1/1900` = `1900-01-01` = `Mon, 01 Jan 1900 00:00:00 GMT` = serial 1).
public struct NoNewsValues: Sendable {
    /// The default list: spreadsheet and database spellings of "nothing", and sentinel dates.
    public static let defaults = ["NULL", "N/A", "null", "none", "1/1/1900", "1900-01-01", "12/31/1899", "1899-12-31", "0000-00-00"]

    public let values: [String]
    /// Lower-cased ASCII bytes of each entry.
    let entries: [[UInt8]]
    /// Bit n set when an entry is n bytes long (n < 64): most cells are ruled out by length alone.
    let lengths: UInt64
    /// Bit b set when an entry starts with byte b (b < 128): most cells that start with a digit
    /// (amounts, phones, dates) are ruled out by their first byte, or their second.
    let firstBytes: (UInt64, UInt64)
    let secondBytes: (UInt64, UInt64)
    /// The days the entries that are dates name (`1900-01-01`, `1899-12-31`).
    public let days: Set<String>
    /// The same days in a list: a few (two by default), so comparing beats hashing the value of
    /// every date cell.
    let dayList: [String]

    public init(_ values: [String]) {
        self.values = values
        entries = values.map { Array($0.trimmingCharacters(in: .whitespaces).lowercased().utf8) }.filter { !$0.isEmpty }
        lengths = entries.reduce(0) { $0 | ($1.count < 64 ? 1 << UInt64($1.count) : 0) }
        firstBytes = NoNewsValues.byteSet(entries.map { $0[0] })
        // After a one-byte entry, a time of day may follow (` 00:00`, `T00:00`, case folded).
        secondBytes = NoNewsValues.byteSet(entries.flatMap { $0.count > 1 ? [$0[1]] : [32, UInt8(ascii: "t")] })
        days = Set(values.compactMap { value in
            if case let .value(day, _) = DateNormalizer(acceptsSerials: false).normalize(value) { return day }
            return nil
        })
        dayList = Array(days)
    }

    /// True when the cell is one of the entries (see the type's comment). Byte-wise: this runs
    /// for every mapped cell of every row.
    @inline(__always)
    public func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Most cells are ruled out by their first byte, before any trimming (inlined: no call).
        guard let first = bytes.first else { return false }
        if first != 32 && first != 9 && !NoNewsValues.contains(firstBytes, first >= 65 && first <= 90 ? first | 0x20 : first) {
            return false
        }
        return matchesTrimmed(bytes)
    }

    func matchesTrimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !entries.isEmpty else { return false }
        var start = 0, end = bytes.count
        while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
        while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
        let count = end - start
        guard count > 0 else { return false }
        // Only a date entry may carry a time of day after it.
        let digitFirst = bytes[start] >= 48 && bytes[start] <= 57
        if !digitFirst, count >= 64 || lengths & (1 << UInt64(count)) == 0 { return false }
        func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b | 0x20 : b }
        guard NoNewsValues.contains(firstBytes, lower(bytes[start])),
              count == 1 || NoNewsValues.contains(secondBytes, lower(bytes[start + 1])) else { return false }
        for entry in entries where entry.count <= count {
            var equal = true
            for i in 0..<entry.count {
                var b = bytes[start + i]
                if b >= 65 && b <= 90 { b |= 0x20 }
                if b != entry[i] { equal = false; break }
            }
            guard equal else { continue }
            if entry.count == count { return true }
            if digitFirst, Self.isTimeOfDay(bytes, start + entry.count, end) { return true }
        }
        return false
    }

    static func byteSet(_ bytes: [UInt8]) -> (UInt64, UInt64) {
        var set: (UInt64, UInt64) = (0, 0)
        for b in bytes {
            if b >= 128 { set = (~0, ~0); break } // a non-ASCII entry: no ruling out
            if b < 64 { set.0 |= 1 << UInt64(b) } else { set.1 |= 1 << UInt64(b - 64) }
        }
        return set
    }

    @inline(__always)
    static func contains(_ set: (UInt64, UInt64), _ b: UInt8) -> Bool {
        if b >= 128 { return set.0 == ~0 }
        return b < 64 ? set.0 & (1 << UInt64(b)) != 0 : set.1 & (1 << UInt64(b - 64)) != 0
    }

    public func matches(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { matches($0) }
    }

    /// A normalised date that is one of the entries' days.
    public func isNoNewsDay(_ day: String) -> Bool {
        for entry in dayList where entry == day { return true }
        return false
    }

    /// ` 00:00:00`, `T00:00:00.000`…: a separator, then only digits, `:` and `.`.
    static func isTimeOfDay(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        guard start < end, bytes[start] == 32 || bytes[start] == UInt8(ascii: "T"), start + 1 < end else { return false }
        for i in (start + 1)..<end {
            let b = bytes[i]
            guard (b >= 48 && b <= 57) || b == UInt8(ascii: ":") || b == UInt8(ascii: ".") else { return false }
        }
        return true
    }
}
