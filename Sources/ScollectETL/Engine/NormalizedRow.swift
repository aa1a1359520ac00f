/// A field's news from the source file. A blank cell is not news and is simply absent.
public enum FieldValue: Equatable, Sendable {
    case value(String)
    /// The pipeline's clear marker: empty the field in Scollect.
    case clear
}

/// The mapped fields of a pipeline, in mapping order: the position of each field in a row's
/// values. Shared by every row, so a row stores an array, not a dictionary: hashing 30 keys per
/// row was a large part of the cost of normalising a million rows.
public final class FieldIndex: Sendable {
    public let fields: [String]
    let positions: [String: Int]

    public init(_ fields: [String]) {
        self.fields = fields
        var positions: [String: Int] = [:]
        for (index, field) in fields.enumerated() where positions[field] == nil { positions[field] = index }
        self.positions = positions
    }

    public func position(of field: String) -> Int? { positions[field] }
}

/// A source row after mapping and normalisation, ready for the writers.
public struct NormalizedRow: Sendable {
    public let record: SourceRecord
    /// Upper-cased: file numbers are case-insensitive keys (`r456456` = `R456456`).
    public let filenumber: String
    let index: FieldIndex
    /// By field position; nil for a blank cell (no news).
    let slots: [FieldValue?]
    /// Field-level warnings (an extension dropped, a field dropped); the row still goes on.
    public let warnings: [RowIssue]

    init(record: SourceRecord, filenumber: String, index: FieldIndex, slots: [FieldValue?], warnings: [RowIssue]) {
        self.record = record
        self.filenumber = filenumber
        self.index = index
        self.slots = slots
        self.warnings = warnings
    }

    /// For tests and callers that build rows by hand.
    public init(record: SourceRecord, filenumber: String, values: [String: FieldValue], warnings: [RowIssue]) {
        let index = FieldIndex(values.keys.sorted())
        self.init(record: record, filenumber: filenumber, index: index, slots: index.fields.map { values[$0] }, warnings: warnings)
    }

    public var row: Int { record.row }

    /// The field's news, or nil when its cell was blank (or the field is not mapped).
    public subscript(field: String) -> FieldValue? {
        guard let position = index.position(of: field) else { return nil }
        return slots[position]
    }

    public var values: [String: FieldValue] {
        var result: [String: FieldValue] = [:]
        for (position, field) in index.fields.enumerated() { if let value = slots[position] { result[field] = value } }
        return result
    }
}

/// A problem found in one row: the reason, the field when there is one, and a message.
public struct RowIssue: Error, Sendable, Equatable {
    public let reason: ReasonCode
    public let field: String?
    public let message: String
    public init(_ reason: ReasonCode, field: String?, _ message: String) {
        self.reason = reason
        self.field = field
        self.message = message
    }
}
