import Crypto
import Foundation
import GRDB

/// An account file the sandbox loads into a new database (`--seed FILE`).
///
/// ```json
/// {"portfolios": [{"id": 801, "portfolio": "ACME 2026-11", "client": "ACME BANK", "dateplaced": "2026-11-01"}],
///  "accounts": [{"filenumber": "R3001", "portfolio": "ACME 2026-11",
///                "fields": {"firstname": "JOHN", "birthdate": "1965-10-18", "currentbalance": "809.00"},
///                "phones": [{"phonenumber": "205-555-0134", "phonetype": "HOME", "phonestatus": "UNKNOWN", "source": "LOAD",
///                            "lastchange": "0000-00-00 00:00:00"}]}]}
/// ```
/// `fields` are dbase column names (a name that is not one is an error naming it); absent fields
/// get the defaults of a fresh account. A portfolio an account names but the file does not list is
/// created. `dateplaced` in `yyyy-mm-dd` is served as the document does (`Sun, 01 Nov 2026 00:00:00 GMT`).
/// Each account also gets the note `|ACCOUNT IMPORTED INTO DATABASE|`, as the document's R1000 has.
public struct SandboxSeedFile: Decodable, Sendable {
    public struct Portfolio: Decodable, Sendable {
        public var id: Int?
        public var portfolio: String
        public var client: String?
        public var dateplaced: String?
    }

    public struct Phone: Decodable, Sendable {
        public var phonenumber: String
        public var phonetype: String?
        public var phonestatus: String?
        public var source: String?
        /// As the API shows it; absent: the seeding time (RFC 1123). Production holds the zero
        /// date `0000-00-00 00:00:00` on phones never changed.
        public var lastchange: String?
    }

    public struct Account: Decodable, Sendable {
        public var filenumber: String
        public var portfolio: String?
        public var fields: [String: SandboxJSON]?
        public var phones: [Phone]?
    }

    public var portfolios: [Portfolio]?
    public var accounts: [Account]?

    /// Reads and checks a seed file (every field name must be a dbase column).
    public static func load(path: String) throws -> SandboxSeedFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SandboxError("cannot read seed file \(path): \(error.localizedDescription)")
        }
        let file: SandboxSeedFile
        do {
            file = try JSONDecoder().decode(SandboxSeedFile.self, from: data)
        } catch {
            throw SandboxError("seed file \(path) is not a valid account file: \(error)")
        }
        for account in file.accounts ?? [] {
            if account.filenumber.trimmingCharacters(in: .whitespaces).isEmpty {
                throw SandboxError("seed file \(path): an account has an empty filenumber")
            }
            for key in (account.fields ?? [:]).keys.sorted() {
                guard Schema.dbaseColumnSet.contains(key.lowercased()) else {
                    throw SandboxError(
                        "seed file \(path): account \(account.filenumber): field \"\(key)\" is not a dbase column")
                }
                if key.lowercased() == "id" {
                    throw SandboxError(
                        "seed file \(path): account \(account.filenumber): field \"id\" is assigned by the sandbox")
                }
            }
        }
        return file
    }
}

/// Writes the document examples and seed files into a new database.
enum Seeder {
    static func seed(_ db: Database, seedFiles: [(path: String, file: SandboxSeedFile)]) throws {
        try Schema.create(db)
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('schema_version', ?), ('jwt_secret', ?), ('created', ?)",
                       arguments: [String(Schema.version), secret.base64EncodedString(), DateStyles.rfc1123(Date())])
        try seedDocumentExamples(db)
        for (path, file) in seedFiles {
            do {
                try seedFile(db, file)
            } catch let error as SandboxError {
                throw SandboxError("seed file \(path): \(error.description)")
            }
        }
    }

    // MARK: Document examples

    static func seedDocumentExamples(_ db: Database) throws {
        let data = try SandboxJSON.parse(DocumentExamples.dataJSON)
        for p in data["portfolios"]?.arrayValue ?? [] {
            try db.execute(sql: "INSERT INTO portfolios (id, portfolio, client, dateplaced) VALUES (?, ?, ?, ?)",
                           arguments: [p["id"]?.databaseValue, p["portfolio"]?.databaseValue,
                                       p["client"]?.databaseValue, p["dateplaced"]?.databaseValue])
        }
        for a in data["accounts"]?.arrayValue ?? [] {
            guard let fn = a["filenumber"]?.stringValue, let portfolio = a["portfolio"]?.stringValue else { continue }
            if let record = a["record"]?.objectValue {
                try insertAccount(db, filenumber: fn, id: a["id"]?.intValue, portfolio: portfolio,
                                  values: record.mapValues(\.databaseValue), fillClient: false)
            } else {
                let fields = a["fields"]?.objectValue ?? [:]
                try insertAccount(db, filenumber: fn, id: a["id"]?.intValue, portfolio: portfolio,
                                  values: fields.mapValues(\.databaseValue), fillClient: true)
            }
        }
        for table in ChildTable.all {
            for item in data[table.name]?.arrayValue ?? [] {
                guard let record = item.objectValue else { continue }
                let fn = record["filenumber"]?.stringValue ?? record["ReferenceNumber"]?.stringValue ?? ""
                guard let accountID = try accountID(db, fn) else {
                    throw SandboxError("document example \(table.name) names unknown account \(fn)")
                }
                try insertChild(db, table, accountID: accountID, values: record.mapValues(\.databaseValue))
            }
        }
    }

    // MARK: Seed files

    static func seedFile(_ db: Database, _ file: SandboxSeedFile) throws {
        for p in file.portfolios ?? [] {
            try ensurePortfolio(db, name: p.portfolio, id: p.id, client: p.client, dateplaced: p.dateplaced)
        }
        var clients: [String: DatabaseValue] = [:]
        let now = Date()
        for account in file.accounts ?? [] {
            var values: [String: DatabaseValue] = [:]
            for (key, value) in account.fields ?? [:] {
                values[key.lowercased()] = value.textDatabaseValue
            }
            let portfolio = account.portfolio ?? values["portfolio"].flatMap { String.fromDatabaseValue($0) } ?? ""
            if !portfolio.isEmpty && values["clientname"] == nil {
                if clients[portfolio] == nil {
                    try ensurePortfolio(db, name: portfolio, id: nil, client: nil, dateplaced: nil)
                    clients[portfolio] = try DatabaseValue.fetchOne(
                        db.cachedStatement(sql: "SELECT client FROM portfolios WHERE portfolio = ?"),
                        arguments: [portfolio]) ?? .null
                }
                values["clientname"] = clients[portfolio]
            }
            let id = try insertAccount(db, filenumber: account.filenumber, id: nil, portfolio: portfolio,
                                       values: values, fillClient: false)
            try insertNote(db, accountID: id, filenumber: account.filenumber, collector: "System",
                           message: "|ACCOUNT IMPORTED INTO DATABASE|", at: now)
            let owner = PhoneOwner(filenumber: account.filenumber.databaseValue,
                                   firstname: values["firstname"] ?? Schema.dbaseDefaultValues["firstname"] ?? .null,
                                   lastname: values["lastname"] ?? Schema.dbaseDefaultValues["lastname"] ?? .null)
            for phone in account.phones ?? [] {
                try insertPhone(db, accountID: id, owner: owner, number: phone.phonenumber,
                                type: phone.phonetype ?? "UNKNOWN", status: phone.phonestatus ?? "UNKNOWN",
                                source: phone.source ?? "", at: now, lastchange: phone.lastchange)
            }
        }
    }

    static func ensurePortfolio(_ db: Database, name: String, id: Int?, client: String?, dateplaced: String?) throws {
        if try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM portfolios WHERE portfolio = ?"), arguments: [name]) != nil {
            return
        }
        if let id, try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM portfolios WHERE id = ?"), arguments: [id]) != nil {
            throw SandboxError("portfolio id \(id) (\(name)) is already taken")
        }
        let placed = dateplaced.map(DateStyles.portfolioDate) ?? DateStyles.rfc1123(Date())
        try db.execute(sql: "INSERT INTO portfolios (id, portfolio, client, dateplaced) VALUES (?, ?, ?, ?)",
                       arguments: [id, name, client ?? "SANDBOX", placed])
    }

    // MARK: Rows

    static func accountID(_ db: Database, _ filenumber: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM dbase WHERE filenumber = ?"), arguments: [filenumber])
    }

    /// Inserts an account: defaults, overlaid by `values`. Returns its id.
    @discardableResult
    static func insertAccount(_ db: Database, filenumber: String, id: Int?, portfolio: String,
                              values: [String: DatabaseValue], fillClient: Bool) throws -> Int64 {
        var record = Schema.dbaseDefaultValues
        for (key, value) in values {
            guard Schema.dbaseColumnSet.contains(key) else {
                throw SandboxError("account \(filenumber): field \"\(key)\" is not a dbase column")
            }
            record[key] = value
        }
        record["filenumber"] = filenumber.databaseValue
        record["portfolio"] = portfolio.databaseValue
        record["id"] = id.map { $0.databaseValue } ?? .null
        if fillClient, values["clientname"] == nil,
           let client = try String.fetchOne(db, sql: "SELECT client FROM portfolios WHERE portfolio = ?",
                                             arguments: [portfolio]) {
            record["clientname"] = client.databaseValue
        }
        let statement = try db.cachedStatement(sql: Schema.dbaseInsertSQL)
        do {
            try statement.execute(arguments: StatementArguments(Schema.dbaseColumns.map { record[$0] ?? .null }))
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw SandboxError("duplicate file number \(filenumber)")
        }
        return db.lastInsertedRowID
    }

    /// Inserts an item of `table` for the account; missing columns are null, `id` is assigned
    /// when absent, `maindatabaseid` is the account's id.
    @discardableResult
    static func insertChild(_ db: Database, _ table: ChildTable, accountID: Int64,
                            values: [String: DatabaseValue]) throws -> Int64 {
        var record = values
        record["maindatabaseid"] = accountID.databaseValue
        let statement = try db.cachedStatement(sql: table.insertSQL)
        try statement.execute(arguments: StatementArguments(table.storedColumns.map { record[$0] ?? .null }))
        return db.lastInsertedRowID
    }

    static func insertNote(_ db: Database, accountID: Int64, filenumber: String, collector: String,
                           message: String, at date: Date) throws {
        let (day, time) = DateStyles.noteDateAndTime(date)
        try insertChild(db, .notes, accountID: accountID, values: [
            "collectorname": collector.databaseValue,
            "filenumber": filenumber.databaseValue,
            "log.filenumber": String(accountID).databaseValue,
            "logdate": day.databaseValue,
            "logdateandtime": "\(day) AT \(time)".databaseValue,
            "logmessage": message.databaseValue,
            "logtime": time.databaseValue,
        ])
    }

    /// The account fields a phone row repeats.
    struct PhoneOwner {
        var filenumber: DatabaseValue
        var firstname: DatabaseValue
        var lastname: DatabaseValue

        static func of(_ db: Database, accountID: Int64) throws -> PhoneOwner {
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT filenumber, firstname, lastname FROM dbase WHERE id = ?"),
                arguments: [accountID])
            return PhoneOwner(filenumber: row?[0] ?? .null, firstname: row?[1] ?? .null, lastname: row?[2] ?? .null)
        }
    }

    /// Inserts a phone (and nothing else; `insertphone` adds the note).
    @discardableResult
    static func insertPhone(_ db: Database, accountID: Int64, owner: PhoneOwner, number: String, type: String,
                            status: String, source: String, at date: Date, lastchange: String? = nil) throws -> Int64 {
        try insertChild(db, .phones, accountID: accountID, values: [
            "assignedto": .null,
            "balance": .null,
            "filenumber": owner.filenumber,
            "firstname": owner.firstname,
            "isagoodnumber": .null,
            "lastchange": (lastchange ?? DateStyles.rfc1123(date)).databaseValue,
            "lastname": owner.lastname,
            "phonenumber": number.databaseValue,
            "phonestatus": status.databaseValue,
            "phonetype": type.databaseValue,
            "source": source.databaseValue,
            "typeofdebt": .null,
        ])
    }
}
