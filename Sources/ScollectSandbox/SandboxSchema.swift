import Foundation
import GRDB

/// Errors the sandbox reports (bad seed files, unusable database, server start failures).
public struct SandboxError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The tables of a sandbox database.
///
/// - `dbase`: one row per account, one column per dbase field (the column set of the document's
///   `getaccountbysocial` record). Columns have no declared type, so values keep the type they
///   were stored with (strings as sent; the document's numeric `id`/`dayslastworked` stay numbers).
///   `filenumber` is `UNIQUE COLLATE NOCASE`: file numbers are case-insensitive keys.
/// - `phones`, `notes`, `payments`, `attempts`, `emails`, `emailstats`: one row per item, keyed
///   to the account by `maindatabaseid` (= `dbase.id`), with the columns the document shows
///   (payments also keep what the payment writes send but getpayments does not show).
/// - `callbacks` (createCallback) and `permissions` (updatepermissions, one row per account;
///   the permission fields getemailstats shows are kept in `emailstats`): no GET route.
/// - `fn_*`: the Factors Network emulation (see `FactorsNetworkEmulation`).
/// - `portfolios`, and `meta` (the JWT signing secret, the schema version, the instance id).
enum Schema {
    /// 2: stored-only payment columns, `meta.instance_id`. 3: callbacks, permissions, fn_*.
    static let version = 3

    /// Every dbase column with the value a fresh account gets.
    static let dbaseDefaults: [String: SandboxJSON] = {
        guard case .object(let o)? = try? SandboxJSON.parse(DocumentExamples.dbaseDefaultsJSON) else {
            fatalError("DocumentExamples.dbaseDefaultsJSON is not a JSON object")
        }
        return o
    }()

    /// Dbase columns in code-point order (the order responses list them).
    static let dbaseColumns: [String] = dbaseDefaults.keys.sorted(by: codePointLess)
    static let dbaseColumnSet: Set<String> = Set(dbaseColumns)
    /// Columns `updatedbase` refuses to change.
    static let protectedColumns: Set<String> = ["filenumber", "id"]

    static func quoted(_ name: String) -> String {
        guard name.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + name + "\"" }
        return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `INSERT INTO table (columns…) VALUES (?…)`
    static func insertSQL(_ table: String, _ columns: [String]) -> String {
        "INSERT INTO \(table) (\(columns.map(quoted).joined(separator: ", "))) VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
    }

    static let dbaseInsertSQL = insertSQL("dbase", dbaseColumns)
    static let dbaseDefaultValues: [String: DatabaseValue] = dbaseDefaults.mapValues(\.databaseValue)

    /// SQL string literal.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// `json_object(...)` text of the given columns (SQLite functions take at most 127
    /// arguments, so wide rows are built from chunks joined as text).
    static func jsonObjectSQL(_ columns: [String]) -> String {
        let chunks = stride(from: 0, to: columns.count, by: 60).map { start in
            "json_object(" + columns[start..<min(start + 60, columns.count)]
                .map { "\(literal($0)), \(quoted($0))" }.joined(separator: ", ") + ")"
        }
        if chunks.count == 1 { return chunks[0] }
        return chunks.enumerated().map { i, chunk in
            if i == 0 { return "rtrim(\(chunk), '}')" }
            if i == chunks.count - 1 { return "ltrim(\(chunk), '{')" }
            return "ltrim(rtrim(\(chunk), '}'), '{')"
        }.joined(separator: " || ',' || ")
    }

    /// Views that render each row as the JSON object a route returns (`json_text`), keys in
    /// code-point order: the serialisation runs inside SQLite. Re-created at every open so
    /// they always match the code.
    static func createViews(_ db: Database) throws {
        try db.execute(sql: """
            DROP VIEW IF EXISTS dbase_json;
            CREATE VIEW dbase_json AS SELECT id, filenumber, portfolio, socialsecuritynumber,
                \(jsonObjectSQL(dbaseColumns)) AS json_text FROM dbase;
            """)
        for table in ChildTable.all {
            try db.execute(sql: """
                DROP VIEW IF EXISTS \(table.name)_json;
                CREATE VIEW \(table.name)_json AS SELECT id, maindatabaseid,
                    \(jsonObjectSQL(table.outputColumns)) AS json_text FROM \(table.name);
                """)
        }
    }

    /// Brings a database of this or an older version to the current one, in place: adds the
    /// columns it lacks and the instance id. New databases pass through here too.
    static func migrate(_ db: Database) throws {
        let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schema_version'")
        if let stored, let number = Int(stored), number > version {
            throw SandboxError("the sandbox database has schema version \(number), newer than this program's \(version)")
        }
        for table in ChildTable.all {
            guard try db.tableExists(table.name) else {
                try createChildTable(db, table)
                continue
            }
            let existing = Set(try db.columns(in: table.name).map(\.name))
            for column in table.storedColumns where !existing.contains(column) {
                try db.execute(sql: "ALTER TABLE \(table.name) ADD COLUMN \(quoted(column))")
            }
        }
        try FactorsNetworkEmulation.createTables(db)
        // A new id for every created database (a reset one included), kept for its lifetime.
        try db.execute(sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('instance_id', ?)",
                       arguments: [UUID().uuidString.lowercased()])
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                       arguments: [String(version)])
    }

    static func create(_ db: Database) throws {
        var dbaseDefs: [String] = []
        for column in dbaseColumns {
            switch column {
            case "id": dbaseDefs.append("\"id\" INTEGER PRIMARY KEY")
            case "filenumber": dbaseDefs.append("\"filenumber\" NOT NULL UNIQUE COLLATE NOCASE")
            default: dbaseDefs.append(quoted(column))
            }
        }
        try db.execute(sql: """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE portfolios (id INTEGER PRIMARY KEY, portfolio TEXT NOT NULL UNIQUE, client, dateplaced);
            CREATE TABLE dbase (\(dbaseDefs.joined(separator: ", ")));
            CREATE INDEX dbase_portfolio ON dbase (portfolio);
            """)
        for table in ChildTable.all { try createChildTable(db, table) }
    }

    static func createChildTable(_ db: Database, _ table: ChildTable) throws {
        let defs = table.storedColumns.map { column -> String in
            switch column {
            case "id": return "\"id\" INTEGER PRIMARY KEY"
            case "maindatabaseid": return "\"maindatabaseid\" INTEGER NOT NULL"
            default: return quoted(column)
            }
        }
        try db.execute(sql: """
            CREATE TABLE \(table.name) (\(defs.joined(separator: ", ")));
            CREATE INDEX \(table.name)_account ON \(table.name) (maindatabaseid, id);
            """)
    }
}

/// A table of items belonging to an account, with the keys its GET route returns.
struct ChildTable: Sendable {
    let name: String
    /// Keys of each item in the response, in code-point order.
    let outputColumns: [String]
    /// Every stored column (output columns, stored-only columns, `id`, `maindatabaseid`).
    let storedColumns: [String]
    let insertSQL: String

    /// `storedOnly`: columns kept for other routes that the table's GET route does not return.
    init(_ name: String, _ columns: [String], storedOnly: [String] = []) {
        self.name = name
        self.outputColumns = columns.sorted(by: codePointLess)
        var stored = outputColumns + storedOnly
        for extra in ["id", "maindatabaseid"] where !stored.contains(extra) { stored.append(extra) }
        self.storedColumns = stored
        self.insertSQL = Schema.insertSQL(name, stored)
    }

    var selectList: String { outputColumns.map(Schema.quoted).joined(separator: ", ") }

    static let phones = ChildTable("phones", [
        "assignedto", "balance", "filenumber", "firstname", "id", "isagoodnumber", "lastchange", "lastname",
        "maindatabaseid", "phonenumber", "phonestatus", "phonetype", "source", "typeofdebt",
    ])
    static let notes = ChildTable("notes", [
        "collectorname", "filenumber", "id", "log.filenumber", "logdate", "logdateandtime", "logmessage", "logtime",
    ])
    static let payments = ChildTable("payments", [
        "datetaken", "filenumber", "merchant", "paymentamount", "paymentdate", "paymentmethod", "portfolio",
        "typeofpayment",
    ], storedOnly: [
        // What the payment writes send, minus the secrets: the card as a token and its last 4
        // digits, the checking account as its last 4 digits; never the card number or the CVV.
        "payorname", "paymentstatus", "invoice", "cardtype", "cardtoken", "last4card", "cardexpirationmonth",
        "cardexpirationyear", "cardexpirationdate", "checkaccountlast4", "checkroutingnumber", "checkaccounttype",
        "checkaddress", "checkcity", "checkstate", "checkzip", "acceptedfees", "printed",
    ])
    static let attempts = ChildTable("attempts", [
        "agent", "date", "direction", "dispo", "filenumber", "maindatabaseid", "phonenumber", "time", "type",
        "wassecond",
    ])
    static let emails = ChildTable("emails", [
        "DateLoaded", "EmailID", "IPAddress", "ReferenceNumber", "Subject", "ToAddress", "TrackingType", "UserAgent",
        "id",
    ])
    static let emailstats = ChildTable("emailstats", [
        "filenumber", "last_email_date", "lastclickdate", "lastopenedemail", "lastportallogin", "linkclickcount",
        "openedcount", "registeredportal", "sentcount",
    ])
    static let callbacks = ChildTable("callbacks", [
        "Assignedto", "Callbackdate", "Callbackdatemysql", "Callbacktime", "FileNumber", "Name", "id",
    ], storedOnly: ["created"])
    /// One row per account: the permission fields getemailstats does not show.
    static let permissions = ChildTable("permissions",
        ["filenumber"] + SandboxAPI.permissionTypes.keys.filter { !SandboxAPI.emailStatsPermissions.contains($0) })
    static let all: [ChildTable] = [phones, notes, payments, attempts, emails, emailstats, callbacks, permissions]

    static func named(_ name: String) -> ChildTable? { all.first { $0.name == name } }
}

extension SandboxJSON {
    /// The value as stored in SQLite, keeping its type (document records).
    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .bool(let b): return (b ? 1 : 0).databaseValue
        case .int(let i): return i.databaseValue
        case .double(let d): return d.databaseValue
        case .string(let s): return s.databaseValue
        case .array, .object: return jsonString.databaseValue
        }
    }

    /// The value as text, as a value "sent" by a client or a seed file is stored:
    /// strings exactly as sent, numbers and booleans as their JSON text, null as null.
    var textDatabaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .string(let s): return s.databaseValue
        case .bool(let b): return (b ? "true" : "false").databaseValue
        case .int, .double, .array, .object: return jsonString.databaseValue
        }
    }

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let i): self = .int(Int(i))
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .blob(let data): self = .string(String(decoding: data, as: UTF8.self))
        }
    }
}

extension JSONWriter {
    mutating func write(_ value: DatabaseValue) {
        switch value.storage {
        case .null: raw("null")
        case .int64(let i): raw(String(i))
        case .double(let d): writeDouble(d)
        case .string(let s): writeString(s)
        case .blob(let data): writeString(String(decoding: data, as: UTF8.self))
        }
    }

    /// Writes each row of a statement as an object with the given (sorted, pre-encoded) keys;
    /// the statement selects the columns in that order. Returns the number of rows.
    @discardableResult
    mutating func writeRows(_ rows: RowCursor, keys: [[UInt8]]) throws -> Int {
        var count = 0
        while let row = try rows.next() {
            if count > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "{"))
            for i in 0..<keys.count {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(contentsOf: keys[i])
                let value: DatabaseValue = row[i]
                write(value)
            }
            bytes.append(UInt8(ascii: "}"))
            count += 1
        }
        return count
    }
}
