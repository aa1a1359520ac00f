import Foundation

/// One write a run made (or was about to make) to an account, with what it replaced, so that
/// `rollback` can put the account back. Recorded before the call is sent and marked made or
/// failed after: a run killed in between leaves `sent` records, which rollback settles by
/// comparing the account's current value with the previous and the new one.
public struct ChangeRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        case sent, made, failed
    }

    public var id: Int64 = 0
    public let runId: String
    public let filenumber: String
    public let endpoint: String
    /// The `updatedbase` field; nil for an insert (a phone, a note) that the API cannot undo.
    public let field: String?
    /// The value the account held before (nil: null or absent).
    public let previous: String?
    /// The value sent, or for an insert a description of it (`insertphone 205-555-0134`).
    public let newValue: String
    /// The field's normaliser, so rollback compares `10/18/1965` and `1965-10-18` as equal.
    public let normalizer: String?
    public let sourceRow: Int
    public var state: State = .sent
    /// The previous value of a sensitive field that the journal did not keep (no key when it
    /// was recorded) or cannot open (no key, or another key, now): rollback cannot restore it.
    public var previousWithheld = false

    public init(runId: String, filenumber: String, endpoint: String, field: String?, previous: String?, newValue: String,
                normalizer: String?, sourceRow: Int) {
        self.runId = runId
        self.filenumber = filenumber
        self.endpoint = endpoint
        self.field = field
        self.previous = previous
        self.newValue = newValue
        self.normalizer = normalizer
        self.sourceRow = sourceRow
    }
}
