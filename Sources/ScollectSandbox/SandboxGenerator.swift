import Foundation
import GRDB

/// Fills a sandbox database with generated accounts for tests and benchmarks
/// (`scollect-etl sandbox seed --accounts N`): one portfolio, each account with 1–3 phones and
/// 0–4 payments, values in the API's mixed styles (dates as `M/D/YYYY` and RFC 1123, amounts
/// as strings, SSNs and zips with leading zeros now and then). Deterministic for a given seed.
/// One transaction and prepared statements: 50,000 accounts take seconds.
public enum SandboxGenerator {
    /// An area code or exchange a real number can have: 2–9 first, never an N11 service code.
    public static func nanpPart(_ rng: inout SplitMix64) -> Int {
        let part = 200 + Int(rng.next() % 800)
        return part % 100 == 11 ? part + 1 : part
    }

    public struct Outcome: Sendable {
        public let portfolio: String
        public let accounts: Int
        public let phones: Int
        public let payments: Int
        public let firstFilenumber: String?
        public let lastFilenumber: String?
    }

    /// Adds `accounts` accounts to `portfolio` (created when missing) in the database at `path`
    /// (created with the document examples when missing). File numbers are `prefix` + 7 digits,
    /// continuing after the ones with that prefix already there.
    public static func seed(databasePath path: String, accounts count: Int, portfolio: String,
                            prefix: String = "G", client: String = "SANDBOX", seed: UInt64 = 1) throws -> Outcome {
        let store = try SandboxStore.open(path: path)
        defer { store.close() }
        var rng = SplitMix64(seed: seed)
        return try store.pool.write { db -> Outcome in
            try Seeder.ensurePortfolio(db, name: portfolio, id: nil, client: client, dateplaced: nil)
            let clientName = try String.fetchOne(db, sql: "SELECT client FROM portfolios WHERE portfolio = ?", arguments: [portfolio]) ?? client
            let already = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dbase WHERE filenumber LIKE ?", arguments: [prefix + "%"]) ?? 0

            let accountInsert = try db.makeStatement(sql: Schema.dbaseInsertSQL)
            let phoneInsert = try db.makeStatement(sql: ChildTable.phones.insertSQL)
            let paymentInsert = try db.makeStatement(sql: ChildTable.payments.insertSQL)
            var account = Schema.dbaseColumns.map { Schema.dbaseDefaultValues[$0] ?? .null }
            let column = Dictionary(uniqueKeysWithValues: Schema.dbaseColumns.enumerated().map { ($1, $0) })
            func set(_ name: String, _ value: DatabaseValue) { account[column[name]!] = value }
            var phone = ChildTable.phones.storedColumns.map { _ in DatabaseValue.null }
            let phoneColumn = Dictionary(uniqueKeysWithValues: ChildTable.phones.storedColumns.enumerated().map { ($1, $0) })
            var payment = ChildTable.payments.storedColumns.map { _ in DatabaseValue.null }
            let paymentColumn = Dictionary(uniqueKeysWithValues: ChildTable.payments.storedColumns.enumerated().map { ($1, $0) })

            let firstNames = ["JOHN", "MARY", "CLAUDIA", "ANTHONY", "LINDA", "JAMES", "MARIA", "ROBERT", "PATRICIA", "DAVID"]
            let lastNames = ["SMITH", "JOHNSON", "POPE", "GARCIA", "MILLER", "DAVIS", "O'BRIEN", "LOPEZ", "WILSON", "MOORE"]
            let cities = [("GARDEN", "AL"), ("MARFA", "TX"), ("BOSTON", "MA"), ("NEWARK", "NJ"), ("AUSTIN", "TX")]
            let statuses = ["Good Number", "Disconnected", "UNKNOWN"]
            let day = 86_400.0
            let base = Date(timeIntervalSince1970: 1_672_531_200) // 2023-01-01
            var phones = 0, payments = 0
            var first: String?, last: String?
            for n in 0..<count {
                let filenumber = prefix + String(format: "%07d", already + n + 1)
                if first == nil { first = filenumber }
                last = filenumber
                let firstName = firstNames[Int(rng.next() % 10)], lastName = lastNames[Int(rng.next() % 10)]
                let (city, state) = cities[Int(rng.next() % 5)]
                // An SSN that could be issued: area 001–899 but 666, serial 0001–9999.
                var ssnArea = Int(rng.next() % 899) + 1
                if ssnArea == 666 { ssnArea = 667 }
                let birth = Date(timeIntervalSince1970: -631_152_000 + Double(rng.next() % 15_000) * day) // 1950 on
                let balance = Int(rng.next() % 500_000)
                set("id", .null)
                set("filenumber", filenumber.databaseValue)
                set("portfolio", portfolio.databaseValue)
                set("clientname", clientName.databaseValue)
                set("firstname", firstName.databaseValue)
                set("lastname", lastName.databaseValue)
                set("fullname", "\(firstName) \(lastName)".databaseValue)
                set("socialsecuritynumber", String(format: "%03d-%02d-%04d", ssnArea, Int(rng.next() % 99) + 1, Int(rng.next() % 9_999) + 1).databaseValue)
                set("birthdate", DateStyles.monthDayYear(birth, utc: true).databaseValue)
                set("address", "\(Int(rng.next() % 9_999) + 1) MAIN ST".databaseValue)
                set("city", city.databaseValue)
                set("state", state.databaseValue)
                set("zip", String(format: "%05d", Int(rng.next() % 99_999)).databaseValue)
                set("currentbalance", String(format: "%d.%02d", balance / 100, balance % 100).databaseValue)
                set("accountnumber", String(format: "%010lld", Int64(rng.next() % 10_000_000_000)).databaseValue)
                set("datechargedoff", DateStyles.rfc1123(base.addingTimeInterval(-Double(rng.next() % 2_000) * day)).databaseValue)
                set("emailaddress", "\(firstName.lowercased()).\(n)@example.com".databaseValue)
                try accountInsert.execute(arguments: StatementArguments(account))
                let id = db.lastInsertedRowID

                phone[phoneColumn["maindatabaseid"]!] = id.databaseValue
                phone[phoneColumn["filenumber"]!] = filenumber.databaseValue
                phone[phoneColumn["firstname"]!] = firstName.databaseValue
                phone[phoneColumn["lastname"]!] = lastName.databaseValue
                phone[phoneColumn["phonetype"]!] = "UNKNOWN".databaseValue
                phone[phoneColumn["source"]!] = "SEED".databaseValue
                phone[phoneColumn["lastchange"]!] = DateStyles.rfc1123(base).databaseValue
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    phone[phoneColumn["phonenumber"]!] = String(format: "%03d-%03d-%04d", nanpPart(&rng), nanpPart(&rng), Int(rng.next() % 10_000)).databaseValue
                    phone[phoneColumn["phonestatus"]!] = statuses[Int(rng.next() % 3)].databaseValue
                    try phoneInsert.execute(arguments: StatementArguments(phone))
                    phones += 1
                }

                payment[paymentColumn["maindatabaseid"]!] = id.databaseValue
                payment[paymentColumn["filenumber"]!] = filenumber.databaseValue
                payment[paymentColumn["portfolio"]!] = portfolio.databaseValue
                payment[paymentColumn["typeofpayment"]!] = "IN HOUSE".databaseValue
                var paid = base.addingTimeInterval(Double(rng.next() % 300) * day)
                for _ in 0..<Int(rng.next() % 5) {
                    let cents = 500 + Int(rng.next() % 50_000)
                    payment[paymentColumn["paymentamount"]!] = String(format: "%d.%02d", cents / 100, cents % 100).databaseValue
                    payment[paymentColumn["paymentdate"]!] = DateStyles.rfc1123(paid).databaseValue
                    payment[paymentColumn["datetaken"]!] = DateStyles.monthDayYear(paid, utc: true).databaseValue
                    try paymentInsert.execute(arguments: StatementArguments(payment))
                    payments += 1
                    paid = paid.addingTimeInterval(Double(7 + rng.next() % 30) * day)
                }
            }
            return Outcome(portfolio: portfolio, accounts: count, phones: phones, payments: payments,
                           firstFilenumber: first, lastFilenumber: last)
        }
    }
}
