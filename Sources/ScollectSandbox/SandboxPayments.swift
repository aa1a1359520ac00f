import Crypto
import Foundation
import GRDB

/// The payment routes: `insert_payments_external`, `insert_payplan_external`,
/// `update_payment_external` and `get_lastpayinfo` (getpayments reads the same rows).
///
/// A payment row holds what getpayments shows (amount as `1234.50`, date as RFC 1123) plus
/// stored-only columns. Secrets stay out of the database and of every answer: the card number is
/// kept as a keyed token and its last 4 digits, the checking account number as its last 4 digits,
/// and the CVV (`threedigitnumber`) is dropped. Error messages name fields, never echo values.
extension SandboxAPI {
    /// What insert_payments_external documents as required: every key must be present (a field
    /// that does not apply to the payment, like the card of an ACH payment, comes as "").
    static let paymentFields = [
        "filenumber", "paymentdate", "payorname", "paymentmethod", "paymentstatus", "typeofpayment",
        "checkaccountnumber", "checkroutingnumber", "cardtype", "cardnumber", "threedigitnumber",
        "cardexpirationmonth", "cardexpirationyear", "cardexpirationdate", "paymentamount", "checkaccounttype",
        "acceptedfees", "printed", "invoice",
    ]
    /// Required fields that must also hold a value.
    static let paymentValueFields: Set<String> = ["filenumber", "paymentdate", "paymentamount", "paymentmethod",
                                                  "paymentstatus"]
    /// A plan carries its dates and amounts in `paymentdata`; the top-level ones are ignored.
    static let planFields = paymentFields.filter { $0 != "paymentdate" && $0 != "paymentamount" } + ["paymentdata"]
    static let planValueFields = paymentValueFields.subtracting(["paymentdate", "paymentamount"])
    /// What update_payment_external may change (its document adds the check address fields).
    static let updatablePaymentFields: Set<String> = [
        "paymentdate", "paymentamount", "payorname", "paymentmethod", "paymentstatus", "typeofpayment",
        "checkaddress", "checkcity", "checkstate", "checkzip", "checkaccountnumber", "checkroutingnumber", "cardtype",
        "cardnumber", "threedigitnumber", "cardexpirationmonth", "cardexpirationyear", "cardexpirationdate",
        "checkaccounttype", "acceptedfees", "printed", "invoice",
    ]
    /// Fields stored as sent, in the column of the same name.
    static let copiedPaymentFields = [
        "payorname", "paymentmethod", "paymentstatus", "typeofpayment", "invoice", "cardtype", "cardexpirationmonth",
        "cardexpirationyear", "cardexpirationdate", "checkroutingnumber", "checkaccounttype", "printed",
        "checkaddress", "checkcity", "checkstate", "checkzip",
    ]

    static let dateRule = "must be a date like 2023-04-15 (yyyy-mm-dd)"
    static let amountRule = "must be a positive amount like 100.00"

    /// One dated amount: a single payment has one, a plan one per `paymentdata` item.
    struct Instalment {
        let date: Date
        let amount: String
    }

    // MARK: Routes

    func insertPayment(_ body: [String: SandboxJSON]) async throws -> Reply {
        if let missing = Self.missingFields(body, Self.paymentFields, valueRequired: Self.paymentValueFields) {
            return Reply.error(missing)
        }
        guard let date = DateStyles.isoDay(Self.text(body["paymentdate"])) else {
            return Reply.error("paymentdate \(Self.dateRule)")
        }
        guard let amount = Self.normalizedAmount(Self.text(body["paymentamount"])) else {
            return Reply.error("paymentamount \(Self.amountRule)")
        }
        return try await insertPayments(body, [Instalment(date: date, amount: amount)],
                                        success: "Payment successfully inserted")
    }

    func insertPaymentPlan(_ body: [String: SandboxJSON]) async throws -> Reply {
        if let missing = Self.missingFields(body, Self.planFields, valueRequired: Self.planValueFields) {
            return Reply.error(missing)
        }
        guard case .array(let items)? = body["paymentdata"], !items.isEmpty else {
            return Reply.error(#"paymentdata must be a non-empty list of {"paymentamount", "paymentdate"}"#)
        }
        var instalments: [Instalment] = []
        for (i, item) in items.enumerated() {
            guard let date = DateStyles.isoDay(Self.text(item["paymentdate"])) else {
                return Reply.error("paymentdata[\(i)].paymentdate \(Self.dateRule)")
            }
            guard let amount = Self.normalizedAmount(Self.text(item["paymentamount"])) else {
                return Reply.error("paymentdata[\(i)].paymentamount \(Self.amountRule)")
            }
            instalments.append(Instalment(date: date, amount: amount))
        }
        return try await insertPayments(body, instalments, success: "Payment plan successfully inserted")
    }

    func updatePendingPayments(_ body: [String: SandboxJSON]) async throws -> Reply {
        let filenumber = Self.text(body["filenumber"])
        guard !Self.isBlank(body["filenumber"]) else { return Reply.error("Missing required field(s): filenumber", code: 400) }
        // The document: fields with null, "" or [] are ignored.
        let given = body.filter { key, value in
            Self.updatablePaymentFields.contains(key) && value != .null && value != .string("") && value != .array([])
        }
        guard !given.isEmpty else {
            return Reply.json(["state": "TIMEOUT", "status": "At least one update field must be provided."])
        }
        var columns = storedColumns(given)
        if let date = given["paymentdate"] {
            guard let day = DateStyles.isoDay(Self.text(date)) else { return Reply.error("paymentdate \(Self.dateRule)") }
            columns["paymentdate"] = DateStyles.rfc1123(day).databaseValue
        }
        if let amount = given["paymentamount"] {
            guard let normalized = Self.normalizedAmount(Self.text(amount)) else {
                return Reply.error("paymentamount \(Self.amountRule)")
            }
            columns["paymentamount"] = normalized.databaseValue
        }
        let assignments = columns.sorted { $0.key < $1.key }
        let found = try await pool.write { db -> Bool in
            guard let id = try Seeder.accountID(db, filenumber) else { return false }
            let pending = "maindatabaseid = ? AND upper(paymentstatus) = 'PENDING'"
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payments WHERE \(pending)", arguments: [id]) ?? 0 > 0
            else { return false }
            if !assignments.isEmpty {
                let set = assignments.map { "\(Schema.quoted($0.key)) = ?" }.joined(separator: ", ")
                try db.execute(sql: "UPDATE payments SET \(set) WHERE \(pending)",
                               arguments: StatementArguments(assignments.map(\.value) + [id.databaseValue]))
            }
            return true
        }
        guard found else { return Reply.error("No payment info found with filenumber \(filenumber)", code: 400) }
        let reply = Reply.success("Payments have been updated.")
        // A CVV alone is accepted and dropped: nothing changed.
        return assignments.isEmpty ? reply : reply.afterCommit()
    }

    func lastPaymentInfo(_ body: [String: SandboxJSON]) async throws -> Reply {
        let filenumber = Self.text(body["filenumber"])
        guard !Self.isBlank(body["filenumber"]) else { return Reply.error("Missing required field(s): filenumber") }
        let latest = try await pool.read { db -> [SandboxJSON]? in
            guard let id = try Seeder.accountID(db, filenumber) else { return nil }
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, cardexpirationdate, cardtoken, last4card, paymentdate, payorname
                FROM payments WHERE maindatabaseid = ?
                """), arguments: [id])
            // Latest payment day, then the last inserted; a date in another style sorts first.
            func order(_ row: Row) -> (Int, Int64) {
                (DateStyles.rfc1123DayKey(row["paymentdate"] ?? "") ?? Int.min, row["id"])
            }
            guard let row = rows.max(by: { order($0) < order($1) }) else { return [] }
            func value(_ column: String) -> SandboxJSON { SandboxJSON(row[column] as DatabaseValue) }
            return [[
                "cardaddress": "", "cardexpirationdate": value("cardexpirationdate"), "cardnumber": value("cardtoken"),
                "cardzipcode": "", "last4card": value("last4card"), "paymentdate": value("paymentdate"),
                "payorname": value("payorname"),
            ]]
        }
        guard let latest else { return Reply.error("File number \(filenumber) does not exist.", code: 404) }
        return Reply.result(["data": .array(latest)])
    }

    // MARK: Storing

    /// Inserts one payment row per instalment, all in one transaction.
    private func insertPayments(_ body: [String: SandboxJSON], _ instalments: [Instalment],
                                success: String) async throws -> Reply {
        let filenumber = Self.text(body["filenumber"])
        var columns = storedColumns(body.filter { Self.updatablePaymentFields.contains($0.key) })
        columns["datetaken"] = DateStyles.monthDayYear(Date(), utc: false).databaseValue
        columns["merchant"] = .null
        let common = columns
        let posted = Self.text(body["paymentstatus"]).uppercased() != "PENDING"
        let found = try await pool.write { db -> Bool in
            guard let account = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT id, filenumber, portfolio FROM dbase WHERE filenumber = ?"),
                arguments: [filenumber])
            else { return false }
            let id: Int64 = account["id"]
            var values = common
            values["filenumber"] = account["filenumber"]
            values["portfolio"] = account["portfolio"]
            for instalment in instalments {
                values["paymentamount"] = instalment.amount.databaseValue
                values["paymentdate"] = DateStyles.rfc1123(instalment.date).databaseValue
                try Seeder.insertChild(db, .payments, accountID: id, values: values)
            }
            // A payment that is not waiting to be run counts as the account's last one.
            if posted, let last = instalments.max(by: { $0.date < $1.date }) {
                try db.execute(sql: "UPDATE dbase SET lastpaymentdate = ?, lastpaymentamount = ? WHERE id = ?",
                               arguments: [DateStyles.monthDayYear(last.date, utc: true), last.amount, id])
            }
            return true
        }
        guard found else { return Reply.error("File number \(filenumber) does not exist.", code: 404) }
        return Reply.json(["state": "SUCCESS", "message": .string(success)]).afterCommit()
    }

    /// The columns the given payment fields are stored in (dates and amounts aside): most as sent,
    /// the card number as token + last 4, the checking account as last 4, the CVV nowhere.
    private func storedColumns(_ fields: [String: SandboxJSON]) -> [String: DatabaseValue] {
        var columns: [String: DatabaseValue] = [:]
        for field in Self.copiedPaymentFields {
            if let value = fields[field] { columns[field] = Self.text(value).databaseValue }
        }
        if let fees = fields["acceptedfees"] {
            // "0"/"1" on insert, a boolean on update: stored as "0"/"1" either way.
            if case .bool(let accepted) = fees {
                columns["acceptedfees"] = (accepted ? "1" : "0").databaseValue
            } else {
                columns["acceptedfees"] = Self.text(fees).databaseValue
            }
        }
        if let card = fields["cardnumber"] {
            let digits = Self.digits(Self.text(card))
            columns["cardtoken"] = (digits.isEmpty ? "" : cardToken(digits)).databaseValue
            columns["last4card"] = String(digits.suffix(4)).databaseValue
        }
        if let account = fields["checkaccountnumber"] {
            columns["checkaccountlast4"] = String(Self.digits(Self.text(account)).suffix(4)).databaseValue
        }
        return columns
    }

    /// `4jde-dt32-yclc-3d28`: an HMAC of the card number under this database's key, so the same
    /// card gets the same token here and nothing about the number can be recovered from it.
    func cardToken(_ digits: String) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let mac = Array(HMAC<SHA256>.authenticationCode(for: Data(digits.utf8), using: store.cardTokenKey))
        let characters = mac.prefix(16).map { alphabet[Int($0) % alphabet.count] }
        return stride(from: 0, to: 16, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }

    // MARK: Field helpers

    /// `Missing required field(s): a, b` for absent keys and for blank values of `valueRequired`.
    static func missingFields(_ body: [String: SandboxJSON], _ required: [String],
                              valueRequired: Set<String>) -> String? {
        let missing = required.filter { key in
            guard let value = body[key] else { return true }
            return valueRequired.contains(key) && isBlank(value)
        }
        return missing.isEmpty ? nil : "Missing required field(s): " + missing.joined(separator: ", ")
    }

    static func isBlank(_ value: SandboxJSON?) -> Bool {
        switch value {
        case nil, .null?: return true
        case .string(let s)?: return s.trimmingCharacters(in: .whitespaces).isEmpty
        case .array(let a)?: return a.isEmpty
        default: return false
        }
    }

    /// A field as text: strings as sent, numbers and booleans as their JSON text, null as "".
    static func text(_ value: SandboxJSON?) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let s)?: return s
        case let other?: return other.jsonString
        }
    }

    static func digits(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.isASCII && CharacterSet.decimalDigits.contains($0) })
    }

    /// `100` / `100.5` / `100.00` → `100.00`; nil unless a positive amount with at most 2 decimals.
    static func normalizedAmount(_ text: String) -> String? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, (1...12).contains(whole.count),
              whole.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        var cents = parts.count == 2 ? String(parts[1]) : ""
        guard cents.count <= 2, cents.allSatisfy({ $0.isASCII && $0.isNumber }), parts.count == 1 || !cents.isEmpty
        else { return nil }
        cents += String(repeating: "0", count: 2 - cents.count)
        let units = String(whole.drop { $0 == "0" })
        guard !(units.isEmpty && cents == "00") else { return nil }
        return (units.isEmpty ? "0" : units) + "." + cents
    }
}
