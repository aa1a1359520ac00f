import Foundation

/// `source.file` as a nightly job names it: a dated name (`placements_{yyyyMMdd}.csv`, the
/// braces holding a date pattern filled with the run's date) and/or a glob (`inbox/*.csv`).
public enum InputFiles {
    public static func isPattern(_ path: String) -> Bool {
        path.contains("{") || path.contains("*") || path.contains("?") || path.contains("[")
    }

    /// The date tokens filled in (local time).
    public static func fillDate(_ pattern: String, date: Date) -> String {
        var result = ""
        var rest = Substring(pattern)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            result += rest[..<open]
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = String(rest[rest.index(after: open)..<close])
            result += formatter.string(from: date)
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }

    /// The existing files the pattern names, sorted by name (dated names sort by date).
    public static func resolve(_ pattern: String, date: Date = Date()) -> [String] {
        let filled = fillDate(pattern, date: date)
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(filled, 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { index in matches.gl_pathv[index].map { String(cString: $0) } }
            .filter { var isDirectory: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue }
            .sorted()
    }

    /// The file a check of the pipeline should look at: today's match, else the newest file the
    /// pattern could name on any date (`validate` and `preview` on a dated source).
    public static func newest(_ pattern: String, date: Date = Date()) -> String? {
        if let today = resolve(pattern, date: date).last { return today }
        let anyDate = pattern.replacingOccurrences(of: #"\{[^}]*\}"#, with: "*", options: .regularExpression)
        return resolve(anyDate, date: date).last
    }
}
