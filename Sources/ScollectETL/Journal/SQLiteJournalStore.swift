import Foundation
import GRDB
import GRDBSQLite

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

    @discardableResult
    public func write<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        try guarded {
            try queue.writeWithoutTransaction { db in
                let connection = Connection(db: db)
                return try connection.transaction { try body(connection) }
            }
        }
    }

    @discardableResult
    public func writeRelaxed<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        try guarded {
            try relaxedQueue.writeWithoutTransaction { db in
                let connection = Connection(db: db)
                return try connection.transaction { try body(connection) }
            }
        }
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
    @discardableResult
    public func exclusive<T>(_ name: String, _ body: (any JournalConnection, Double) throws -> T) throws -> T {
        try guarded {
            try relaxedQueue.writeWithoutTransaction { db in
                let connection = Connection(db: db)
                return try connection.transaction { try body(connection, Date().timeIntervalSince1970) }
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

    /// Statements are prepared once per connection (GRDB's statement cache), then bound, stepped
    /// and read through SQLite's own functions: GRDB's `StatementArguments`, `Row` and
    /// transaction methods cost more per journal record than the API call it records (a change
    /// record's insert ~100 k instructions, `BEGIN`/`COMMIT` parsed again on each transaction;
    /// `valgrind --tool=callgrind`, Benchmarks/README.md). Errors are GRDB's `DatabaseError`.
    private struct Connection: JournalConnection {
        let db: Database

        @discardableResult
        func execute(_ sql: String, _ arguments: [JournalValue?]) throws -> Int {
            try step(sql, arguments) { _ in }
            return Int(sqlite3_changes(db.sqliteConnection))
        }

        /// The new row's id from SQLite itself: `RETURNING` cost an ephemeral table and a row
        /// read back on every change record.
        func insert(_ sql: String, _ arguments: [JournalValue?]) throws -> Int64 {
            try step(sql, arguments) { _ in }
            return sqlite3_last_insert_rowid(db.sqliteConnection)
        }

        func rows(_ sql: String, _ arguments: [JournalValue?]) throws -> [JournalRow] {
            var rows: [JournalRow] = []
            try step(sql, arguments) { statement in rows.append(Self.row(statement)) }
            return rows
        }

        /// Binds `arguments`, steps to the end (`onRow` for each row), and resets the statement.
        private func step(_ sql: String, _ arguments: [JournalValue?], onRow: (OpaquePointer) -> Void) throws {
            let statement = try db.cachedStatement(sql: sql).sqliteStatement
            defer { sqlite3_reset(statement) }
            sqlite3_reset(statement)
            guard Int(sqlite3_bind_parameter_count(statement)) == arguments.count else {
                throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(arguments.count) arguments for \(sqlite3_bind_parameter_count(statement)) parameters", sql: sql)
            }
            for (index, argument) in arguments.enumerated() {
                let position = Int32(index + 1)
                let code: Int32
                switch argument {
                case let .text(text)?:
                    var text = text
                    code = text.withUTF8 { bytes in
                        sqlite3_bind_text(statement, position, UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                            .assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient)
                    }
                case let .integer(number)?: code = sqlite3_bind_int64(statement, position, number)
                case let .real(number)?: code = sqlite3_bind_double(statement, position, number)
                case nil: code = sqlite3_bind_null(statement, position)
                }
                guard code == SQLITE_OK else { throw error(code, sql) }
            }
            while true {
                let code = sqlite3_step(statement)
                if code == SQLITE_DONE { return }
                guard code == SQLITE_ROW else { throw error(code, sql) }
                onRow(statement)
            }
        }

        /// Column names lower-cased (as PostgreSQL gives them); NULL columns absent.
        private static func row(_ statement: OpaquePointer) -> JournalRow {
            var values: [String: JournalValue] = [:]
            for column in 0..<sqlite3_column_count(statement) {
                var name = String(cString: sqlite3_column_name(statement, column))
                if name.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) { name = name.lowercased() }
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: values[name] = .integer(sqlite3_column_int64(statement, column))
                case SQLITE_FLOAT: values[name] = .real(sqlite3_column_double(statement, column))
                case SQLITE_TEXT:
                    let bytes = sqlite3_column_text(statement, column)
                    let count = Int(sqlite3_column_bytes(statement, column))
                    values[name] = .text(bytes.map { String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self) } ?? "")
                default: break // NULL; the journal stores no blobs
                }
            }
            return JournalRow(values: values)
        }

        private func error(_ code: Int32, _ sql: String) -> DatabaseError {
            DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
        }

        /// SQLite copies a bound text at once (`SQLITE_TRANSIENT`).
        private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

        /// `BEGIN IMMEDIATE`, `body`, `COMMIT` (`ROLLBACK` when `body` or the commit throws),
        /// each a cached statement.
        @discardableResult
        func transaction<T>(_ body: () throws -> T) throws -> T {
            try execute("BEGIN IMMEDIATE", [])
            do {
                let result = try body()
                try execute("COMMIT", [])
                return result
            } catch {
                if sqlite3_get_autocommit(db.sqliteConnection) == 0 { _ = try? execute("ROLLBACK", []) }
                throw error
            }
        }
    }
}

extension RunLock: JournalLock {}
