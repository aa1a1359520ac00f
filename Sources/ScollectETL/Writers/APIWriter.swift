/// What is known of an account before writing to it, read from the API.
public struct AccountSnapshot: Sendable {
    /// The dbase record (`getaccount`), values as the API returned them (null → nil).
    public var fields: [String: String?]
    /// The account's phone numbers (`getphones`), as `XXX-XXX-XXXX` digits-only keys.
    public var phoneDigits: Set<String>

    public init(fields: [String: String?] = [:], phoneDigits: Set<String> = []) {
        self.fields = fields
        self.phoneDigits = phoneDigits
    }

    /// Empty in the API's many spellings: null, blank, or the string "null".
    public static func isEmptyValue(_ value: String?) -> Bool {
        guard let value else { return true }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed.lowercased() == "null"
    }
}

/// What a planned call changes in the snapshot once it succeeds, so a later row of the same
/// account compares against the new state.
public enum SnapshotEffect: Sendable {
    case setField(String, String)
    case addPhone(digits: String)
}

/// One write a writer wants to make for one row.
public struct PlannedCall: Sendable {
    public let call: APICall
    public let effect: SnapshotEffect
    /// Human-readable, for the rejects report's "calls made" and logs: `updatedbase address`.
    public let summary: String
}

/// The reads a writer needs before it can decide what to write.
public enum AccountRead: Sendable, Hashable {
    case account
    case phones
}

/// What a writer learns of the pipeline when it is built from the YAML.
public struct WriterContext {
    /// Target fields named in the mapping.
    public let mappedFields: [String]
    /// The normaliser of each field that has one (others are trimmed text).
    public let normalizers: [String: any Normalizer]
}

/// A writer turns a normalised row plus the account's current state into the calls that
/// change something — and only those: a call that cannot change anything is never made.
/// Each writer is one file holding its YAML options, their defaults and its planning; it is
/// registered in `WriterRegistry`.
public protocol APIWriter: Sendable {
    /// The key that selects it under `writers:` in a pipeline file (the endpoint's name).
    static var name: String { get }
    /// The option keys it accepts; anything else is an error naming the line.
    static var optionKeys: [String] { get }
    init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws
    /// Mapped fields this writer consumes (so that `updatedbase` does not also send them).
    var consumedFields: Set<String> { get }
    var reads: Set<AccountRead> { get }
    func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall]
}
