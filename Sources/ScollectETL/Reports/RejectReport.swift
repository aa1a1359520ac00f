import Foundation

/// One line of the rejects report: a rejected row, or a warning about one field of a row that
/// went on.
public struct RejectLine: Sendable {
    public enum Kind: String, Sendable { case reject, warning }
    public let row: Int
    public let line: Int
    public let kind: Kind
    public let reason: ReasonCode
    public let field: String?
    public let message: String
    /// Write calls that had already succeeded for this row before it failed.
    public let callsMade: [String]
    /// The row's values as read, in header order (empty for an unreadable row).
    public let values: [String]
    /// The raw text of a row that could not be split into fields.
    public let rawText: String?
}

/// `rejects.csv.gz`: the metadata columns first, then the original columns under their
/// original names, so an operator can fix values in a spreadsheet and feed the file back
/// (`run --input`): the mapping picks columns by name and ignores the `_reject` ones.
/// It mirrors the input, full SSNs included, so it is as sensitive as the input (mode 0600) —
/// except card data: a card number column keeps its first 6 / last 4, a bank account number
/// its last 4, and a CVV column is left empty (`RejectColumns`, from the mapping's
/// `FieldSensitivity`); card numbers elsewhere, however spaced, keep first 6 / last 4. The raw
/// text of a row that could not be parsed is masked the same way, or left out when its card
/// columns cannot be located (the message says so). Such rows are re-fed with the card data
/// taken from the original file.
public final class RejectReport {
    public static let metadataColumns = ["_reject_row", "_reject_line", "_reject_kind", "_reject_reason", "_reject_field",
                                         "_reject_message", "_reject_calls_made", "_reject_raw_text"]
    private let writer: GzipFileWriter
    public private(set) var rejectLines = 0
    public private(set) var warningLines = 0

    let columns: RejectColumns

    public init(path: String, header: [String], columns: RejectColumns = RejectColumns()) throws {
        self.columns = columns
        writer = try GzipFileWriter(path: path)
        try writer.write(CSVFormatting.line(RejectReport.metadataColumns + header))
    }

    public func add(_ line: RejectLine) throws {
        if line.kind == .reject { rejectLines += 1 } else { warningLines += 1 }
        var message = Masking.maskCardNumbers(in: line.message)
        var rawText = ""
        if let raw = line.rawText {
            switch columns.mask(rawText: raw) {
            case let .text(text): rawText = text
            case let .leftOut(why): message += " (\(why))"
            }
        }
        let meta = [String(line.row), String(line.line), line.kind.rawValue, line.reason.rawValue, line.field ?? "",
                    message, line.callsMade.joined(separator: "; "), rawText]
        try writer.write(CSVFormatting.line(meta + columns.mask(values: line.values)))
    }

    public func finish() throws { try writer.finish() }
}
