import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The journal in PostgreSQL (postgres-nio), for runs of one tenant on several machines: each
/// tenant in its own schema (`scollect_<tenant>`) of one database, with the same numbered
/// migrations as the SQLite store (`PostgresJournalSchema`).
/// - `write` is one transaction that first takes the tenant's transaction-scoped advisory lock,
///   so check-and-record is serialised across every process and machine as SQLite's
///   `BEGIN IMMEDIATE` is on one machine, and commits durably (`synchronous_commit` on).
/// - `writeRelaxed` commits with `synchronous_commit = off`: it survives the client dying, and
///   a server crash loses at most the last moments, which the next run re-derives.
/// - A pipeline's run lock is a session advisory lock on a connection of its own: the server
///   drops it when the process dies and its connection closes.
/// The engine's workers are threads (libcurl blocks), so each call waits for its query on the
/// calling thread; connections are pooled, one per concurrent caller.
public final class PostgresJournalStore: JournalStore, @unchecked Sendable {
    public let configuration: PostgresJournalConfiguration
    public var location: String { configuration.display }
    private let logger = Logger(label: "scollect-etl.journal.postgres")
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var opened = 0
    private var nextID = 0
    private let maxConnections = 16
    private var closed = false

    public init(_ configuration: PostgresJournalConfiguration) throws {
        self.configuration = configuration
        _ = try transaction(durable: true, lock: nil) { db in
            try PostgresJournalSchema.migrate(db, schema: configuration.schema, location: configuration.display)
        }
    }

    @discardableResult
    public func write<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        try transaction(durable: true, lock: "scollect-journal:" + configuration.tenant, body)
    }

    @discardableResult
    public func writeRelaxed<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        try transaction(durable: false, lock: nil, body)
    }

    public func read<T>(_ body: (any JournalConnection) throws -> T) throws -> T {
        try withConnection { connection in try body(Statements(connection: connection, logger: logger, location: location)) }
    }

    public func now() throws -> Double {
        try read { db in try Self.clock(db) }
    }

    static func clock(_ db: any JournalConnection) throws -> Double {
        guard case let .real(seconds)? = try db.row("SELECT extract(epoch FROM clock_timestamp())::float8 AS now")?["now"] else {
            throw JournalError("the run journal's server gave no clock")
        }
        return seconds
    }

    @discardableResult
    public func exclusive<T>(_ name: String, _ body: (any JournalConnection, Double) throws -> T) throws -> T {
        try transaction(durable: false, lock: "scollect-\(name):\(configuration.tenant)") { db in
            try body(db, try Self.clock(db))
        }
    }

    public func lockPipeline(_ pipeline: String) throws -> any JournalLock {
        let connection = try connect()
        let db = Statements(connection: connection, logger: logger, location: location)
        do {
            let name = "scollect-run:\(configuration.tenant):\(pipeline)"
            let got = try db.row("SELECT pg_try_advisory_lock(hashtextextended(?, 0)) AS got", bind(name))
            guard got?.string("got") == "true" else {
                let holder = try? db.row("SELECT holder FROM run_locks WHERE pipeline = ?", bind(pipeline))?.string("holder")
                throw JournalError("another run of pipeline \(pipeline) is in progress\(holder.map { " (\($0))" } ?? "") on a process sharing the journal \(location); this one was not started")
            }
            let holder = "\(ProcessInfo.processInfo.hostName) pid \(getpid()) since \(AuditReport.timestamp(Date()))"
            try db.execute("""
                INSERT INTO run_locks (pipeline, holder) VALUES (?, ?) ON CONFLICT (pipeline) DO UPDATE SET holder = excluded.holder
                """, bind(pipeline), bind(holder))
            return SessionLock(connection: connection)
        } catch {
            try? connection.close().wait()
            throw error
        }
    }

    public func compact() throws {}

    public func close() {
        condition.lock()
        closed = true
        let connections = idle
        idle = []
        condition.unlock()
        for connection in connections { try? connection.close().wait() }
    }

    deinit { close() }

    // MARK: transactions and the pool

    /// `lock`: the name of an advisory lock the transaction holds to its end.
    @discardableResult
    private func transaction<T>(durable: Bool, lock: String?, _ body: (any JournalConnection) throws -> T) throws -> T {
        try withConnection { connection in
            let db = Statements(connection: connection, logger: logger, location: location)
            try db.execute("BEGIN")
            do {
                if !durable { try db.execute("SET LOCAL synchronous_commit TO off") }
                if let lock { try db.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", bind(lock)) }
                let result = try body(db)
                try db.execute("COMMIT")
                return result
            } catch {
                _ = try? db.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// A pooled connection for `body`; one that broke is closed, not returned.
    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkOut()
        do {
            let result = try body(connection)
            checkIn(connection)
            return result
        } catch {
            checkIn(connection)
            throw error
        }
    }

    private func checkOut() throws -> PostgresConnection {
        condition.lock()
        while idle.isEmpty && opened >= maxConnections { condition.wait() }
        if let connection = idle.popLast() {
            condition.unlock()
            return connection
        }
        opened += 1
        condition.unlock()
        do {
            return try connect()
        } catch {
            condition.lock()
            opened -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        condition.lock()
        if connection.isClosed || closed {
            opened -= 1
            condition.unlock()
            if !connection.isClosed { try? connection.close().wait() }
        } else {
            idle.append(connection)
            condition.unlock()
        }
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    /// A new connection with the tenant's schema first on its search path.
    private func connect() throws -> PostgresConnection {
        condition.lock()
        nextID += 1
        let id = nextID
        condition.unlock()
        let connection: PostgresConnection
        do {
            var settings = PostgresConnection.Configuration(host: configuration.host, port: configuration.port, username: configuration.user,
                                                            password: configuration.password, database: configuration.database,
                                                            tls: try tls())
            settings.options.connectTimeout = .seconds(15)
            settings.options.additionalStartupParameters = [("application_name", "scollect-etl")]
            connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: settings,
                                                        id: id, logger: logger).wait()
        } catch {
            throw JournalError("cannot connect to the run journal \(location): \(Statements.describe(error))")
        }
        let db = Statements(connection: connection, logger: logger, location: location)
        do {
            try db.execute("SET search_path TO \(configuration.schema)")
        } catch {
            try? connection.close().wait()
            throw error
        }
        return connection
    }

    /// libpq's `sslmode`s: `require` encrypts without checking the certificate, `verify-ca`
    /// checks its signer, `verify-full` its signer and the host name.
    private func tls() throws -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch configuration.tls {
        case .disable: return .disable
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let roots = configuration.rootCertificates { tls.trustRoots = .file(roots) }
        let context = try NIOSSLContext(configuration: tls)
        return configuration.tls == .prefer ? .prefer(context) : .require(context)
    }

    /// A connection's statements, with `?` placeholders turned into `$1…` (none of the
    /// journal's statements has a `?` inside a literal).
    private struct Statements: JournalConnection {
        let connection: PostgresConnection
        let logger: Logger
        let location: String

        @discardableResult
        func execute(_ sql: String, _ arguments: [JournalValue?]) throws -> Int {
            try run(sql, arguments).metadata.rows ?? 0
        }

        func rows(_ sql: String, _ arguments: [JournalValue?]) throws -> [JournalRow] {
            try run(sql, arguments).rows.map { row in
                var values: [String: JournalValue] = [:]
                for cell in row where cell.bytes != nil {
                    values[cell.columnName] = Self.value(cell)
                }
                return JournalRow(values: values)
            }
        }

        private func run(_ sql: String, _ arguments: [JournalValue?]) throws -> PostgresQueryResult {
            var binds = PostgresBindings(capacity: arguments.count)
            for argument in arguments {
                switch argument {
                case let .text(text)?: binds.append(text)
                case let .integer(number)?: binds.append(number)
                case let .real(number)?: binds.append(number)
                case nil: binds.appendNull()
                }
            }
            do {
                return try connection.query(PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds), logger: logger).wait()
            } catch {
                throw JournalError("run journal \(location): \(Self.describe(error))")
            }
        }

        static func value(_ cell: PostgresCell) -> JournalValue? {
            switch cell.dataType {
            case .int2, .int4, .int8: (try? cell.decode(Int64.self)).map(JournalValue.integer)
            case .float4, .float8, .numeric: (try? cell.decode(Double.self)).map(JournalValue.real)
            case .bool: (try? cell.decode(Bool.self)).map { .text($0 ? "true" : "false") }
            default: (try? cell.decode(String.self)).map(JournalValue.text)
            }
        }

        static func numbered(_ sql: String) -> String {
            guard sql.contains("?") else { return sql }
            var result = ""
            result.reserveCapacity(sql.utf8.count + 16)
            var index = 0
            for character in sql {
                if character == "?" {
                    index += 1
                    result += "$\(index)"
                } else {
                    result.append(character)
                }
            }
            return result
        }

        /// The server's own message, not the driver's generic description.
        static func describe(_ error: Error) -> String {
            if let psql = error as? PSQLError {
                if let message = psql.serverInfo?[.message] { return message }
                return String(reflecting: psql.code)
            }
            return "\(error)"
        }
    }

    /// A session advisory lock on a connection of its own.
    private final class SessionLock: JournalLock {
        private var connection: PostgresConnection?
        init(connection: PostgresConnection) { self.connection = connection }
        func release() {
            try? connection?.close().wait()
            connection = nil
        }
        deinit { release() }
    }
}
