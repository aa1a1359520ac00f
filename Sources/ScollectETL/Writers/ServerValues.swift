/// How the values Scollect holds are read: in the server's own styles, never with a pipeline
/// file's options. The API writes dates `M/D/YYYY`, `yyyy-mm-dd` or RFC 1123
/// (`Wed, 06 Mar 2013 00:00:00 GMT`), whatever `options.day_first` says about the file, and
/// it stores placeholders for "nothing": `null`, blanks, `000-00-0000` (an SSN), the zero date
/// `0000-00-00 00:00:00`, and the sentinel dates 1900-01-01 and 1899-12-31.
public enum ServerValues {
    /// A server value that means "no value": keep fills it, a comparison sees it as empty, an
    /// export writes it empty.
    public static func isEmpty(_ value: String?) -> Bool {
        guard let value else { return true }
        // Foundation's trim (Unicode spaces) only when an end is not plain ASCII text: it costs
        // thousands of instructions, and this runs for every field compared on every account.
        let first = value.utf8.first, last = value.utf8.last
        func plain(_ byte: UInt8?) -> Bool { byte.map { $0 > 0x20 && $0 < 0x7F } ?? false }
        let trimmed = plain(first) && plain(last) ? value : value.trimmingSpaces()
        if trimmed.isEmpty || (trimmed.utf8.count == 4 && trimmed.lowercased() == "null") { return true }
        if trimmed == "000-00-0000" || isZeroDate(trimmed) { return true }
        guard UTF8Search.contains("1900", in: trimmed) || UTF8Search.contains("1899", in: trimmed) else { return false }
        if case let .value(date, _) = DateNormalizer.serverStyles.normalize(trimmed) { return sentinelDays.contains(date) }
        return false
    }

    /// The days that stand for "no date" (Scollect's and spreadsheets' zero days).
    public static let sentinelDays: Set<String> = ["1900-01-01", "1899-12-31"]

    /// `0000-00-00`, optionally with a time of day (`0000-00-00 00:00:00`).
    static func isZeroDate(_ text: String) -> Bool {
        guard text.hasPrefix("0000-00-00") else { return false }
        return text.dropFirst(10).allSatisfy { "0123456789:. T".contains($0) }
    }

    /// The normaliser that reads the server's values of a field the pipeline normalises with
    /// `normalizer`: the same kind, with no file option (a date is never read day-first, and
    /// never as an Excel serial).
    public static func reader(for normalizer: any Normalizer) -> any Normalizer {
        if normalizer is DateNormalizer { return DateNormalizer.serverStyles }
        return NormalizerRegistry.make(type(of: normalizer).name) ?? normalizer
    }
}
