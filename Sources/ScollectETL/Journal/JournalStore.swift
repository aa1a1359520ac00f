import Foundation

/// Where the run journal lives: the storage under `RunJournal`, which holds the journal's
/// logic (the ledger's check-and-record, masking, encryption) once for every store. Two
/// implementations: `SQLiteJournalStore` (a file per tenant, processes of one machine) and
/// `PostgresJournalStore` (one database for every tenant and machine).
///
/// The journal's statements are written once, with `?` placeholders, in the SQL both stores
/// speak (upserts as `INSERT … ON CONFLICT`, new ids by `insert`: `RETURNING` in PostgreSQL, SQLite's last row id).
public protocol JournalStore: AnyObject, Sendable {
    /// For messages: the file's path, or the database's URL (never its password).
    var location: String { get }
    /// A transaction committed durably (an fsync before it returns), serialised against every
    /// other `write` of the tenant's journal from any process: what the ledger's claims need.
    @discardableResult
    func write<T>(_ body: (any JournalConnection) throws -> T) throws -> T
    /// A transaction whose commit survives the process being killed but may skip the fsync
    /// (SQLite `synchronous = NORMAL`, PostgreSQL `synchronous_commit = off`): change records,
    /// settlements, row outcomes, which a later run re-derives if a power cut loses them.
    @discardableResult
    func writeRelaxed<T>(_ body: (any JournalConnection) throws -> T) throws -> T
    func read<T>(_ body: (any JournalConnection) throws -> T) throws -> T
    /// A relaxed transaction serialised against every other `exclusive` of the same name from
    /// any process sharing the store, given the store's clock (seconds since 1970: PostgreSQL's
    /// own, so that machines whose clocks differ agree): the tenant's rate budget.
    @discardableResult
    func exclusive<T>(_ name: String, _ body: (any JournalConnection, Double) throws -> T) throws -> T
    /// The store's clock (seconds since 1970), by the quickest read it has.
    func now() throws -> Double
    /// "One run of a pipeline at a time", held until `release` or the process's end (a killed
    /// run never leaves it behind). Throws `JournalError` naming the holder when it is held.
    func lockPipeline(_ pipeline: String) throws -> any JournalLock
    /// Empties what a store keeps of deleted rows (SQLite's write-ahead log).
    func compact() throws
    func close()
}

/// A pipeline's run lock, from the store.
public protocol JournalLock: AnyObject {
    func release()
}

/// One statement at a time, inside a store's transaction.
public protocol JournalConnection {
    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [JournalValue?]) throws -> Int
    func rows(_ sql: String, _ arguments: [JournalValue?]) throws -> [JournalRow]
    /// Runs an `INSERT` (without `RETURNING`) into a table whose key is `id`; returns the new id.
    func insert(_ sql: String, _ arguments: [JournalValue?]) throws -> Int64
}

extension JournalConnection {
    @discardableResult
    func execute(_ sql: String, _ arguments: JournalValue?...) throws -> Int { try execute(sql, arguments) }
    func rows(_ sql: String, _ arguments: JournalValue?...) throws -> [JournalRow] { try rows(sql, arguments) }
    func row(_ sql: String, _ arguments: JournalValue?...) throws -> JournalRow? { try rows(sql, arguments).first }
    func insert(_ sql: String, _ arguments: JournalValue?...) throws -> Int64 { try insert(sql, arguments) }

    /// The new id by `RETURNING id` (PostgreSQL); SQLite's store asks SQLite for it instead.
    public func insert(_ sql: String, _ arguments: [JournalValue?]) throws -> Int64 {
        try rows(sql + " RETURNING id", arguments).first?.int64("id") ?? 0
    }
}

/// A value bound to, or read from, a statement.
public enum JournalValue: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case real(Double)

    var text: String? {
        switch self {
        case let .text(value): value
        case let .integer(value): String(value)
        case let .real(value): String(value)
        }
    }

    var integer: Int64? {
        switch self {
        case let .integer(value): value
        case let .real(value): Int64(value)
        case let .text(value): Int64(value)
        }
    }
}

extension JournalValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}

/// Arguments of statements, written as Swift values.
protocol JournalBindable { var journalValue: JournalValue { get } }
extension String: JournalBindable { var journalValue: JournalValue { .text(self) } }
extension Int: JournalBindable { var journalValue: JournalValue { .integer(Int64(self)) } }
extension Int64: JournalBindable { var journalValue: JournalValue { .integer(self) } }
extension Int32: JournalBindable { var journalValue: JournalValue { .integer(Int64(self)) } }
extension Double: JournalBindable { var journalValue: JournalValue { .real(self) } }

/// `bind(x)`: a statement argument from a Swift value, nil as SQL NULL. Generic, not over
/// `any JournalBindable`: making an existential of an optional asked the runtime whether the
/// type conforms each time, ~30 k instructions a change record (`valgrind --tool=callgrind`).
func bind<Value: JournalBindable>(_ value: Value?) -> JournalValue? { value?.journalValue }

/// One result row, by column name (lower case).
public struct JournalRow: Sendable {
    var values: [String: JournalValue]

    public subscript(_ column: String) -> JournalValue? { values[column] }
    func string(_ column: String) -> String? { values[column]?.text }
    func int(_ column: String) -> Int? { values[column]?.integer.map(Int.init) }
    func int64(_ column: String) -> Int64? { values[column]?.integer }
    func double(_ column: String) -> Double? {
        switch values[column] {
        case let .real(value)?: value
        case let .integer(value)?: Double(value)
        case let .text(value)?: Double(value)
        case nil: nil
        }
    }
}
