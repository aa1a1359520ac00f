/// A JSON array of objects (`lines: false`) or NDJSON, one object per line (`lines: true`).
/// Keys are the column names in column order; numbers and money are JSON numbers written as
/// the API's decimal text (`809.00`), dates strings in the column's pattern, blanks `null`.
public final class JSONExportWriter: ExportWriter {
    let output: ExportFileOutput
    let lines: Bool
    private var keys: [String] = []
    private var rows = 0

    public init(output: ExportFileOutput, lines: Bool) {
        self.output = output
        self.lines = lines
    }

    public func begin(columns: [ExportColumn]) throws {
        keys = columns.map { name in
            var out = ""
            JSONValue.writeString(name.name, to: &out)
            return out + ":"
        }
        if !lines { try output.write("[") }
    }

    public func write(_ row: [ExportValue]) throws {
        var out = lines ? "" : (rows == 0 ? "\n" : ",\n")
        out += "{"
        for (index, value) in row.enumerated() {
            if index > 0 { out += "," }
            out += keys[index]
            switch value {
            case .empty: out += "null"
            case let .number(text): out += text
            default: JSONValue.writeString(value.text, to: &out)
            }
        }
        out += lines ? "}\n" : "}"
        rows += 1
        try output.write(out)
    }

    public func finish() throws {
        if !lines { try output.write(rows == 0 ? "]\n" : "\n]\n") }
        try output.finish()
    }
}
