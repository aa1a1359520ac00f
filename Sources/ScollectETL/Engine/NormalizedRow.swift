/// A field's news from the source file. A blank cell is not news and is simply absent.
public enum FieldValue: Equatable, Sendable {
    case value(String)
    /// The pipeline's clear marker: empty the field in Scollect.
    case clear
}

/// A source row after mapping and normalisation, ready for the writers.
public struct NormalizedRow: Sendable {
    public let record: SourceRecord
    /// Upper-cased: file numbers are case-insensitive keys (`r456456` = `R456456`).
    public let filenumber: String
    public let values: [String: FieldValue]
    /// Field-level warnings (an extension dropped, a field dropped); the row still goes on.
    public let warnings: [RowIssue]

    public var row: Int { record.row }
}

/// A problem found in one row: the reason, the field when there is one, and a message.
public struct RowIssue: Sendable, Equatable {
    public let reason: ReasonCode
    public let field: String?
    public let message: String
    public init(_ reason: ReasonCode, field: String?, _ message: String) {
        self.reason = reason
        self.field = field
        self.message = message
    }
}
