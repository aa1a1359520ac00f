/// RFC 4180 output: a field is quoted only when it has to be.
public enum CSVFormatting {
    public static func field(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) || value.hasPrefix(" ") || value.hasSuffix(" ") else {
            return value
        }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func line(_ values: [String]) -> String {
        values.map(field).joined(separator: ",") + "\r\n"
    }
}
