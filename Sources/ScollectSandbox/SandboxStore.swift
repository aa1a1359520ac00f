import Crypto
import Foundation
import GRDB

/// The sandbox's SQLite database (WAL mode, GRDB `DatabasePool`: concurrent reads, serialized writes).
///
/// The server uses it for every route; tests and tools use the public query helpers to look at
/// what the API stored (`SandboxServer.store`, or `SandboxStore.open` on a stopped server's file).
public final class SandboxStore: @unchecked Sendable {
    let pool: DatabasePool
    public let path: String
    let jwtSecret: SymmetricKey
    /// Keys the card tokens: a token names a card within this database and reveals nothing of it.
    let cardTokenKey: SymmetricKey
    /// A random id given to the database when it was created (a reset one gets a new id), so a
    /// client can tell a re-created sandbox from the one it worked against before.
    public let instanceID: String

    /// Opens the database at `path`, creating it (with the document examples and the seed files)
    /// when it does not exist or holds no sandbox schema yet. Seed files are ignored otherwise.
    /// A database of an older schema version is migrated in place.
    public static func open(path: String, seedFiles: [String] = []) throws -> SandboxStore {
        try open(path: path) { try seedFiles.map { (path: $0, file: try SandboxSeedFile.load(path: $0)) } }
    }

    /// `loadSeeds` runs only when the database must be created, before anything is written.
    static func open(path: String,
                     loadSeeds: () throws -> [(path: String, file: SandboxSeedFile)]) throws -> SandboxStore {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: directory.path) {
            // Its owner's only from the start (mkdir's mode, not a chmod after).
            var prefix = directory.path.hasPrefix("/") ? "" : "."
            for component in directory.path.split(separator: "/") {
                prefix += "/" + component
                _ = mkdir(prefix, 0o700)
            }
        }
        let existing = FileManager.default.fileExists(atPath: path) && (try? isInitialized(path: path)) == true
        // Read and check the seed files before creating anything.
        let seeds = existing ? [] : try loadSeeds()
        // Accounts hold SSNs: the database is its owner's only, from the first byte (SQLite
        // gives the -wal and -shm files the database's mode); one made before this rule is
        // made private.
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 { Glibc.close(fd) } else {
            for file in [path, path + "-wal", path + "-shm"] {
                var info = stat()
                if stat(file, &info) == 0, info.st_mode & 0o077 != 0 { chmod(file, 0o600) }
            }
        }

        var config = Configuration()
        config.busyMode = .timeout(30)
        config.maximumReaderCount = 8
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw SandboxError("cannot open sandbox database \(path): \(error)")
        }
        do {
            try pool.write { db in
                if try !db.tableExists("meta") {
                    try Seeder.seed(db, seedFiles: seeds)
                }
                try Schema.migrate(db)
                try Schema.createViews(db)
            }
            let (secret, instanceID) = try pool.read { db in
                (try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'jwt_secret'"),
                 try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'instance_id'"))
            }
            guard let secret, let key = Data(base64Encoded: secret) else {
                throw SandboxError("sandbox database \(path) has no signing secret")
            }
            guard let instanceID else { throw SandboxError("sandbox database \(path) has no instance id") }
            return SandboxStore(pool: pool, path: path, secret: SymmetricKey(data: key), instanceID: instanceID)
        } catch {
            try? pool.close()
            if let error = error as? SandboxError { throw error }
            throw SandboxError("cannot initialise sandbox database \(path): \(error)")
        }
    }

    private static func isInitialized(path: String) throws -> Bool {
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: config)
        defer { try? queue.close() }
        return try queue.read { try $0.tableExists("meta") }
    }

    init(pool: DatabasePool, path: String, secret: SymmetricKey, instanceID: String) {
        self.pool = pool
        self.path = path
        self.jwtSecret = secret
        // Derived rather than stored: one secret per database is enough, and older databases need no new one.
        self.cardTokenKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: secret, info: Data("scollect-sandbox card token".utf8),
                                                   outputByteCount: 32)
        self.instanceID = instanceID
    }

    /// Closes the database; later calls throw. Must not run concurrently with other calls.
    public func close() {
        try? pool.close()
    }

    // MARK: Query helpers (for tests and tools)

    /// The dbase record of an account (file number case-insensitive), or nil.
    public func account(_ filenumber: String) throws -> [String: SandboxJSON]? {
        try query("SELECT * FROM dbase WHERE filenumber = ?", [.string(filenumber)]).first
    }

    /// Phones of an account as `getphones` lists them.
    public func phones(_ filenumber: String) throws -> [[String: SandboxJSON]] {
        try items(.phones, filenumber)
    }

    /// Notes of an account as `getnotes` lists them.
    public func notes(_ filenumber: String) throws -> [[String: SandboxJSON]] {
        try items(.notes, filenumber)
    }

    /// Payments of an account as `getpayments` lists them.
    public func payments(_ filenumber: String) throws -> [[String: SandboxJSON]] {
        try items(.payments, filenumber)
    }

    /// Number of accounts.
    public func accountCount() throws -> Int {
        try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM dbase") ?? 0 }
    }

    /// Runs any read-only SQL (tables: dbase, phones, notes, payments, attempts, emails, emailstats,
    /// portfolios, meta) and returns its rows as JSON objects.
    public func query(_ sql: String, _ arguments: [SandboxJSON] = []) throws -> [[String: SandboxJSON]] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: sql,
                                        arguments: StatementArguments(arguments.map(\.databaseValue)))
            return rows.map { row in
                var object: [String: SandboxJSON] = [:]
                for (column, value) in row { object[column] = SandboxJSON(value) }
                return object
            }
        }
    }

    private func items(_ table: ChildTable, _ filenumber: String) throws -> [[String: SandboxJSON]] {
        try query("""
            SELECT \(table.selectList) FROM \(table.name)
            WHERE maindatabaseid = (SELECT id FROM dbase WHERE filenumber = ?) ORDER BY id
            """, [.string(filenumber)])
    }
}

/// Whole-database operations.
public enum SandboxDatabase {
    /// Deletes and re-creates the database with the document examples plus the seed files.
    /// The seed files are read and checked first: a bad one leaves the old database in place.
    public static func reset(path: String, seedFiles: [String]) throws {
        let seeds = try seedFiles.map { (path: $0, file: try SandboxSeedFile.load(path: $0)) }
        for suffix in ["", "-wal", "-shm"] {
            let file = path + suffix
            if FileManager.default.fileExists(atPath: file) {
                try FileManager.default.removeItem(atPath: file)
            }
        }
        let store = try SandboxStore.open(path: path) { seeds }
        store.close()
    }
}
