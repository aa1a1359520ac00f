/// What is known of an account before writing to it, read from the API.
public struct AccountSnapshot: Sendable {
    /// The dbase record (`getaccount`), values as the API returned them (null → nil).
    public var fields: [String: String?]
    /// The account's phone numbers (`getphones`), as `XXX-XXX-XXXX` digits-only keys.
    public var phoneDigits: Set<String>
    /// Each phone's status (`phonestatus`) by its digits, upper-cased; a phone whose status the
    /// pipeline protects (do-not-call, revoked consent…) is never changed by a load.
    public var phoneStatus: [String: String] = [:]
    /// Each phone's type (`phonetype`) by its digits: `updatephone` skips a phone that already
    /// has the type and status asked.
    public var phoneType: [String: String] = [:]
    /// The account's payments (`getpayments`) counted by date and amount; nil when not read.
    public var paymentCounts: [PaymentKey: Int]?
    /// The account's notes and attempts counted by the journal's keys (`SettlingReads`), read
    /// just before the first such insert of a run: the baseline a lost answer is judged against.
    public var recordCounts: [SettlingRead: [String: Int]] = [:]

    public init(fields: [String: String?] = [:], phoneDigits: Set<String> = [], paymentCounts: [PaymentKey: Int]? = nil) {
        self.fields = fields
        self.phoneDigits = phoneDigits
        self.paymentCounts = paymentCounts
    }

    /// Empty in the API's many spellings (see `ServerValues.isEmpty`): null, blank, "null",
    /// `000-00-0000`, `0000-00-00 00:00:00`, and the sentinel dates (`1/1/1900`,
    /// `Mon, 01 Jan 1900 00:00:00 GMT`, `Sun, 31 Dec 1899 …`).
    public static func isEmptyValue(_ value: String?) -> Bool { ServerValues.isEmpty(value) }

    /// The account's status as a load's protection sees it: `statusname`, or `DECEASED` when
    /// the deceased flag is set.
    public static let statusFields: Set<String> = ["statusname", "deceased"]

    public var statuses: [String] {
        var result: [String] = []
        if let status = fields["statusname"] ?? nil, !AccountSnapshot.isEmptyValue(status) { result.append(status) }
        if let deceased = fields["deceased"] ?? nil, ["1", "Y", "YES", "TRUE"].contains(deceased.trimmingSpaces().uppercased()) {
            result.append("DECEASED")
        }
        return result
    }
}

/// What a planned call changes in the snapshot once it succeeds, so a later row of the same
/// account compares against the new state.
public enum SnapshotEffect: Sendable {
    case setField(String, String)
    case addPhone(digits: String)
    case addPayments([PaymentKey])
    /// `updatephone`: the phone's type and/or status (nil: left as it is).
    case setPhone(digits: String, type: String?, status: String?)
    /// A write the snapshot does not hold (a note, an attempt, a callback, a permission).
    case none
}

extension AccountSnapshot {
    /// The snapshot once `effect` has happened.
    public mutating func apply(_ effect: SnapshotEffect) {
        switch effect {
        case let .setField(field, value): fields[field] = value
        case let .addPhone(digits): phoneDigits.insert(digits)
        case let .addPayments(items): add(items)
        case let .setPhone(digits, type, status):
            if let type { phoneType[digits] = type }
            if let status { phoneStatus[digits] = status }
        case .none: break
        }
    }
}

/// The read that shows whether a write not safe to send twice reached the server, after its
/// answer was lost: the account's records of that kind, keyed as the journal keys them.
public enum SettlingRead: String, Sendable, CaseIterable {
    /// `getpayments`: date and amount (`2025-09-01|100.00`).
    case payments
    /// `getphones`: the number's ten digits.
    case phones
    /// `getnotes`: collector and message (a digest).
    case notes
    /// `getattempts`: phone, outcome, agent and type (a digest).
    case attempts
    /// No read lists it (`createCallback`, Factors Network notes): a lost answer is never re-sent.
    case none
}

/// What the run journal must know of a write that is not safe to send twice (a payment, a
/// phone, a note, an attempt, a callback, a Factors Network note): it is recorded before it is
/// sent, settled after, and never sent twice.
public struct LedgerIntent: Sendable {
    /// Unique within the input file: `row:17`, `plan:R1001:<schedule digest>`,
    /// `row:17:insertphone:5055551234`.
    public let key: String
    public let sourceRow: Int
    /// The client's reference (`invoice`): the same reference is never booked twice on an account.
    public let reference: String?
    public let read: SettlingRead
    /// What it adds to the account, in `read`'s keys.
    public let items: [String]

    public init(key: String, sourceRow: Int, reference: String? = nil, read: SettlingRead, items: [String]) {
        self.key = key
        self.sourceRow = sourceRow
        self.reference = reference
        self.read = read
        self.items = items
    }

    /// Payments, reconciled against `getpayments`.
    public init(key: String, sourceRow: Int, reference: String?, items: [PaymentKey]) {
        self.init(key: key, sourceRow: sourceRow, reference: reference, read: .payments, items: items.map(\.description))
    }
}

/// One write a writer wants to make for one row.
public struct PlannedCall: Sendable {
    public let call: APICall
    public let effect: SnapshotEffect
    /// Human-readable, for the rejects report's "calls made" and logs: `updatedbase address`.
    public let summary: String
    /// Set for payments: the call goes through the run journal.
    public var ledger: LedgerIntent?

    public init(call: APICall, effect: SnapshotEffect, summary: String, ledger: LedgerIntent? = nil) {
        self.call = call
        self.effect = effect
        self.summary = summary
        self.ledger = ledger
    }
}

/// The reads a writer needs before it can decide what to write.
public enum AccountRead: Sendable, Hashable {
    case account
    case phones
    /// `getpayments`: the baseline that lets a lost answer be reconciled.
    case payments
}

/// What a writer learns of the pipeline when it is built from the YAML.
public struct WriterContext {
    /// Target fields named in the mapping.
    public let mappedFields: [String]
    /// The normaliser of each field that has one (others are trimmed text).
    public let normalizers: [String: any Normalizer]
    /// The pipeline's `protect:` section: statuses a load never touches.
    public var protection = PipelineConfig.Protection()

    public init(mappedFields: [String], normalizers: [String: any Normalizer], protection: PipelineConfig.Protection = .init()) {
        self.mappedFields = mappedFields
        self.normalizers = normalizers
        self.protection = protection
    }
}

/// A writer turns a normalised row plus the account's current state into the calls that
/// change something — and only those: a call that cannot change anything is never made.
/// Each writer is one file holding its options' spec, their defaults and its planning; it is
/// registered in `WriterRegistry`.
public protocol APIWriter: Sendable {
    /// The key that selects it under `writers:` in a pipeline file (the endpoint's name).
    static var name: String { get }
    /// Its options (anything else is an error naming the line), summary and example, for the
    /// loader and the reference.
    static var spec: ComponentSpec { get }
    /// `options`: its own section, already checked against its spec.
    init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws
    /// Mapped fields this writer consumes (so that `updatedbase` does not also send them).
    var consumedFields: Set<String> { get }
    /// The account's fields it compares the row against (what a portfolio listing must hold
    /// for it); none by default.
    var comparedFields: Set<String> { get }
    /// The account's fields it reads from `getaccount` (the compared ones unless it says
    /// otherwise): a run builds only these (with the statuses protection reads) of the record.
    var readFields: Set<String> { get }
    var reads: Set<AccountRead> { get }
    func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall]
    /// The same, seeing the calls the writers before it in the pipeline planned for this row
    /// (a note summarising what the row changed). The engine calls this one; by default it
    /// forwards to `plan(_:current:)`.
    func plan(_ row: NormalizedRow, current: AccountSnapshot, earlier: [PlannedCall]) -> [PlannedCall]
    /// The service its calls go to (Scollect unless it says otherwise): the runner refuses to
    /// start a pipeline whose writers need a service the target does not configure.
    var service: APIService { get }
    /// Checks a row before any call is made (required fields, formats); nil when it can go.
    func check(_ row: NormalizedRow) -> RowIssue?
    /// True for a writer that builds one call from all the rows of an account (a payment plan
    /// from rows): the engine then hands it whole accounts, through `planAccount`.
    var plansWholeAccount: Bool { get }
    func planAccount(_ rows: [NormalizedRow], current: AccountSnapshot) -> Result<[PlannedCall], RowIssue>
    /// True when a portfolio listing (`options.read_from_portfolios`) holds all it reads, as
    /// long as it shows every field in `comparedFields`; false by default.
    var readsFromPortfolioListing: Bool { get }
}

extension APIWriter {
    public func plan(_ row: NormalizedRow, current: AccountSnapshot, earlier: [PlannedCall]) -> [PlannedCall] {
        plan(row, current: current)
    }
    public var service: APIService { .scollect }
    public func check(_ row: NormalizedRow) -> RowIssue? { nil }
    public var comparedFields: Set<String> { [] }
    public var readFields: Set<String> { comparedFields }
    public var plansWholeAccount: Bool { false }
    public var readsFromPortfolioListing: Bool { false }
    /// The option keys it accepts.
    public static var optionKeys: [String] { spec.keys }
    public func planAccount(_ rows: [NormalizedRow], current: AccountSnapshot) -> Result<[PlannedCall], RowIssue> {
        .success(rows.flatMap { plan($0, current: current) })
    }
}
