import Foundation
import GRDB

/// The `get_accounts_in_portfolio` record: dbase fields under the document's export names,
/// the account's first 15 phones, and the payments total.
enum PortfolioView {
    enum Source {
        case column(String)
        case constant(SandboxJSON)
        case phone(Int)
        case phoneStatus(Int)
        case totalPaid
    }

    /// Output key → where its value comes from. Keys the document shows with a value no dbase
    /// column explains (`CBR`, `level`, `mm_notes`, `producttype`) are constants as shown.
    static let mapping: [(key: String, source: Source)] = {
        var m: [(String, Source)] = [
            ("CBR", .constant("Mon, 01 Jan 1900 00:00:00 GMT")),
            ("CO AMT", .column("chargedoffprincipal")),
            ("CO Date", .column("datechargedoff")),
            ("Current UPB", .column("currentbalance")),
            ("DOB", .column("birthdate")),
            ("E-Mail", .column("emailaddress")),
            ("Last Paid Date", .column("lastpaymentdate")),
            ("Lot_Group_master", .column("portfoliogroup")),
            ("MM Address", .column("address")),
            ("MM City", .column("city")),
            ("MM State", .column("state")),
            ("MM Zip", .column("zip")),
            ("OrigDate", .column("dateaccountopened")),
            ("Originator", .column("originalcreditor")),
            ("SOLdate", .column("statuteoflimdate")),
            ("SSN", .column("socialsecuritynumber")),
            ("Total Paid since CO", .totalPaid),
            ("co_first", .column("codebtor1firstname")),
            ("co_last", .column("codebtor1lastname")),
            ("co_ssn", .column("codebtor1socialsecurity")),
            ("codebtor1primaryphone", .column("codebtor1primaryphone")),
            ("creditor", .column("clientname")),
            ("description", .column("typeofdebt")),
            ("firstname", .column("firstname")),
            ("lastactive", .column("lastworked")),
            ("lastname", .column("lastname")),
            ("level", .constant(" ")),
            ("lot_group", .column("portfolio")),
            ("lotno", .column("filenumber")),
            ("mm_notes", .constant("")),
            ("origacctno", .column("accountnumber")),
            ("producttype", .constant(" ")),
        ]
        for i in 1...60 { m.append(("custom\(i)", .column("custom\(i)"))) }
        for i in 1...15 {
            m.append(("phone\(i)", .phone(i)))
            m.append(("phonestatus\(i)", .phoneStatus(i)))
        }
        return m.sorted { codePointLess($0.0, $1.0) }.map { (key: $0.0, source: $0.1) }
    }()

    /// The dbase columns read, in select order.
    static let columns: [String] = {
        var seen: [String] = ["id"]
        for entry in mapping {
            if case .column(let c) = entry.source, !seen.contains(c) { seen.append(c) }
        }
        return seen
    }()

    static let columnIndex: [String: Int] = Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) })

    static let encodedKeys: [[UInt8]] = mapping.map { entry in
        var w = JSONWriter()
        w.writeString(entry.key)
        w.bytes.append(UInt8(ascii: ":"))
        return w.bytes
    }

    static let portfolioKeys: [[UInt8]] = ["client", "dateplaced", "id", "portfolio"].map { key in
        var w = JSONWriter()
        w.writeString(key)
        w.bytes.append(UInt8(ascii: ":"))
        return w.bytes
    }

    /// `[ {record}, … ]` for the accounts of a portfolio, by account id.
    static func accounts(_ db: Database, portfolio: String) throws -> [UInt8] {
        var w = JSONWriter(capacity: 4096)
        w.bytes.append(UInt8(ascii: "["))
        _ = try writeAccounts(db, portfolio: portfolio, ids: Int64.min...Int64.max, into: &w)
        w.bytes.append(UInt8(ascii: "]"))
        return w.bytes
    }

    /// The ids of a portfolio's accounts in answer order: the listing is then written a page
    /// of ids at a time, so a portfolio of any size is answered in constant memory.
    static func accountIDs(_ db: Database, portfolio: String) throws -> [Int64] {
        try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM dbase WHERE portfolio = ? ORDER BY id"), arguments: [portfolio])
    }

    /// Appends the records (comma-separated, no brackets) of the portfolio's accounts whose id is
    /// in `ids`; returns how many.
    static func writeAccounts(_ db: Database, portfolio: String, ids: ClosedRange<Int64>, into w: inout JSONWriter) throws -> Int {
        var phones: [Int64: [(number: DatabaseValue, status: DatabaseValue)]] = [:]
        let phoneRows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT p.maindatabaseid, p.phonenumber, p.phonestatus FROM phones p
            JOIN dbase d ON d.id = p.maindatabaseid WHERE d.portfolio = ? AND d.id BETWEEN ? AND ? ORDER BY p.maindatabaseid, p.id
            """), arguments: [portfolio, ids.lowerBound, ids.upperBound])
        while let row = try phoneRows.next() {
            let id: Int64 = row[0]
            phones[id, default: []].append((row[1], row[2]))
        }
        var paid: [Int64: Double] = [:]
        let paymentRows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT p.maindatabaseid, p.paymentamount FROM payments p
            JOIN dbase d ON d.id = p.maindatabaseid WHERE d.portfolio = ? AND d.id BETWEEN ? AND ?
            """), arguments: [portfolio, ids.lowerBound, ids.upperBound])
        while let row = try paymentRows.next() {
            let id: Int64 = row[0]
            let value: DatabaseValue = row[1]
            paid[id, default: 0] += amount(value)
        }

        let select = "SELECT \(columns.map(Schema.quoted).joined(separator: ", ")) FROM dbase WHERE portfolio = ? AND id BETWEEN ? AND ? ORDER BY id"
        let rows = try Row.fetchCursor(db.cachedStatement(sql: select), arguments: [portfolio, ids.lowerBound, ids.upperBound])
        var first = true
        var count = 0
        while let row = try rows.next() {
            if !first { w.bytes.append(UInt8(ascii: ",")) }
            first = false
            let id: Int64 = row[0]
            let accountPhones = phones[id] ?? []
            w.bytes.append(UInt8(ascii: "{"))
            for (i, entry) in mapping.enumerated() {
                if i > 0 { w.bytes.append(UInt8(ascii: ",")) }
                w.bytes.append(contentsOf: encodedKeys[i])
                switch entry.source {
                case .column(let c):
                    let value: DatabaseValue = row[columnIndex[c]!]
                    w.write(value)
                case .constant(let v):
                    w.write(v)
                case .phone(let n):
                    if n <= accountPhones.count { w.write(accountPhones[n - 1].number) } else { w.writeString("") }
                case .phoneStatus(let n):
                    if n <= accountPhones.count { w.write(accountPhones[n - 1].status) } else { w.writeString("") }
                case .totalPaid:
                    w.writeDouble(paid[id] ?? 0)
                }
            }
            w.bytes.append(UInt8(ascii: "}"))
            count += 1
        }
        return count
    }

    /// `"150.00"`, `"$1,234.50"`, 15 → the amount; anything else → 0.
    static func amount(_ value: DatabaseValue) -> Double {
        switch value.storage {
        case .int64(let i): return Double(i)
        case .double(let d): return d
        case .string(let s):
            let cleaned = s.filter { $0 != "$" && $0 != "," && $0 != " " }
            return Double(cleaned) ?? 0
        default: return 0
        }
    }
}
