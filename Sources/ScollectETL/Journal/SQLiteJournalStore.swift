import Foundation
import GRDB

/// The embedded journal store: one SQLite file per tenant, shared by the processes of one
/// machine. WAL mode; `write` commits with `synchronous = FULL` under `BEGIN IMMEDIATE` (one
/// writer at a time across processes), `writeRelaxed` through a second connection with
/// `synchronous = NORMAL` (in WAL mode, a commit that survives a killed process without an
/// fsync). Deleted records are overwritten (`secure_delete`). SQLite's locks do not work on
/// network file systems: processes on several machines share a PostgreSQL store instead.
public final class SQLiteJournalStore: JournalStore, @unchecked Sendable {
    public let path: String
    public var location: String { path }
    private let queue: DatabaseQueue
    private let relaxedQueue: DatabaseQueue

    public init(path: String) throws {
        self.path = path
        try PrivateFile.createDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path)
        if !FileManager.default.fileExists(atPath: path) {
            // 0600 from the start; SQLite gives the -wal and -shm files the database's mode.
            if let fd = try? createPrivateFile(path, exclusive: true) { Glibc.close(fd) }
        }
        do {
            (queue, relaxedQueue) = try Self.open(path)
        } catch let newer as JournalSchema.NewerJournal {
            throw newer
        } catch {
            throw JournalError("cannot open the run journal \(path): \(error)")
        }
    }

    /// The two connections, the schema migrated. Processes opening a new journal at the same
    /// moment race to switch it to WAL, which SQLite answers "database is locked" without
    /// waiting on its busy timeout: the loser tries again (for up to 10 s).
    private static func open(_ path: String) throws -> (DatabaseQueue, DatabaseQueue) {
        let deadline = monotonicSeconds() + 10
        while true {
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration(synchronous: "FULL", walMode: true))
                try queue.write { db in try JournalSchema.migrate(db, path: path) }
                return (queue, try DatabaseQueue(path: path, configuration: configuration(synchronous: "NORMAL", walMode: false)))
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && monotonicSeconds() < deadline {
                usleep(UInt32.random(in: 20_000...100_000))
            }
        }
    }

    private static func configuration(synchronous: String, walMode: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // Switching needs the file to itself; a journal already in WAL mode is left as it is.
            if walMode, try String.fetchOne(db, sql: "PRAGMA journal_mode")?.lowercased() != "wal" {
                try db.execute(sql: "PRAGMA journal_mode = WAL")
            }
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        return configuration
    }

    public func write<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        try guarded {
            try queue.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(Connection(db: db))
                    return .commit
                }
                return result!
            }
        }
    }

    public func writeRelaxed<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        try guarded { try relaxedQueue.write { db in try body(Connection(db: db)) } }
    }

    /// The journal's reads are single statements (atomic on their own), so they run without
    /// GRDB's read-only transaction: that toggles `PRAGMA query_only`, which expires every
    /// prepared statement of the connection, and re-preparing them cost more CPU per row than
    /// the row's API calls (`valgrind --tool=callgrind`, Benchmarks/README.md).
    public func read<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        try guarded { try queue.unsafeRead { db in try body(Connection(db: db)) } }
    }

    /// `BEGIN IMMEDIATE` on the relaxed connection (one writer at a time in the file); the
    /// wall clock, which every process of the machine shares.
    public func exclusive<T>(_ name: String, _ body: (any JournalConnection, Double) throws -> T) throws -> T {
        try guarded {
            try relaxedQueue.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(Connection(db: db), Date().timeIntervalSince1970)
                    return .commit
                }
                return result!
            }
        }
    }

    public func now() throws -> Double { Date().timeIntervalSince1970 }

    /// An exclusive `flock` on `<journal>.locks/<pipeline>.lock`: every run of the tenant on
    /// this machine, whatever its working folder, sees it.
    public func lockPipeline(_ pipeline: String) throws -> any JournalLock {
        try RunLock(folder: path + ".locks", pipeline: pipeline)
    }

    public func compact() throws {
        try guarded { try relaxedQueue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") } }
    }

    public func close() {
        try? queue.close()
        try? relaxedQueue.close()
    }

    private func guarded<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as JournalError { throw error } catch { throw JournalError("run journal \(path): \(error)") }
    }

    /// Statements are prepared once per connection (GRDB's statement cache).
    private struct Connection: JournalConnection {
        let db: Database

        func execute(_ sql: String, _ arguments: [JournalValue?]) throws -> Int {
            let statement = try db.cachedStatement(sql: sql)
            try statement.execute(arguments: StatementArguments(arguments.map(Self.databaseValue)))
            return db.changesCount
        }

        func rows(_ sql: String, _ arguments: [JournalValue?]) throws -> [JournalRow] {
            let statement = try db.cachedStatement(sql: sql)
            return try Row.fetchAll(statement, arguments: StatementArguments(arguments.map(Self.databaseValue))).map { row in
                var values: [String: JournalValue] = [:]
                for (column, value) in row {
                    switch value.storage {
                    case let .string(text): values[column.lowercased()] = .text(text)
                    case let .int64(number): values[column.lowercased()] = .integer(number)
                    case let .double(number): values[column.lowercased()] = .real(number)
                    case .null, .blob: break
                    }
                }
                return JournalRow(values: values)
            }
        }

        static func databaseValue(_ value: JournalValue?) -> DatabaseValue {
            switch value {
            case let .text(text)?: text.databaseValue
            case let .integer(number)?: number.databaseValue
            case let .real(number)?: number.databaseValue
            case nil: .null
            }
        }
    }
}

extension RunLock: JournalLock {}
