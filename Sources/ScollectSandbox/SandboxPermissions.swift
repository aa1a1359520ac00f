import Foundation
import GRDB

/// `PUT /updatepermissions`: one of the document's "Valid Account Permission Fields". The ones
/// getemailstats shows are stored in the account's `emailstats` row (and read back there); the
/// others in its `permissions` row, which no route reads.
extension SandboxAPI {
    enum PermissionType: String, Sendable {
        case flag = "1 or 0", text = "text", date = "a date (yyyy-mm-dd)", phone = "a phone number (###-###-####)"
        case decimal = "a decimal number", number = "a whole number"
    }

    /// The document's table, as the server would check it (kept apart from the client's copy:
    /// tests then check that both sides agree).
    static let permissionTypes: [String: PermissionType] = [
        "callspouse": .flag, "callwork": .text, "cantext": .flag, "canemail": .flag, "addresscorrect": .text,
        "dateofnotice": .date, "cont_debtor": .flag, "last_cont_date": .date, "lastcontactagent": .text,
        "call_campaign": .text, "firstcontact": .date, "firstcontactagent": .text, "verifiedaddress": .flag,
        "nextletter": .date, "nexttext": .date, "nextemail": .date, "hotnotes": .text, "textphone": .phone,
        "cancallcell": .flag, "donot1099": .flag, "donottext": .flag, "donotemail": .flag, "sifamount": .decimal,
        "sifstartdate": .date, "sifcompletedate": .date, "sifnumberofpay": .number, "registeredportal": .flag,
        "lastportallogin": .date, "lastopenedemail": .date, "lastclickdate": .date, "openedcount": .number,
        "linkclickcount": .number, "sentcount": .number, "minimumpayment": .decimal, "minimumonetimepayment": .decimal,
    ]
    /// Permission fields that are getemailstats columns.
    static let emailStatsPermissions: Set<String> = [
        "registeredportal", "lastportallogin", "lastopenedemail", "lastclickdate", "openedcount", "linkclickcount", "sentcount",
    ]

    static func permissionValueValid(_ value: String, _ type: PermissionType) -> Bool {
        switch type {
        case .flag: return value == "0" || value == "1"
        case .text: return true
        case .date: return value.isEmpty || DateStyles.isoDay(value) != nil
        case .phone: return value.isEmpty || isFormattedPhone(value)
        case .decimal:
            let parts = value.split(separator: ".", omittingEmptySubsequences: false)
            return (1...2).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy({ $0.isASCII && $0.isNumber }) } && (parts.count == 1 || parts[1].count <= 2)
        case .number: return !value.isEmpty && value.allSatisfy({ $0.isASCII && $0.isNumber })
        }
    }

    func updatePermissions(_ body: [String: SandboxJSON]) async throws -> Reply {
        guard !Self.isBlank(body["filenumber"]) else { return Reply.error("Data not found for this filenumber") }
        let field = Self.text(body["fieldname"]).lowercased()
        guard let type = Self.permissionTypes[field] else {
            return Reply.error("Invalid fieldname \(Self.text(body["fieldname"])): not an account permission field")
        }
        guard let raw = body["fieldvalue"], raw != .null else { return Reply.error("Missing fieldvalue") }
        let value = Self.text(raw)
        guard Self.permissionValueValid(value, type) else { return Reply.error("Invalid value for \(field): expected \(type.rawValue)") }
        let stored: DatabaseValue = (type == .number || type == .flag) && Self.emailStatsPermissions.contains(field)
            ? (Int(value) ?? 0).databaseValue : value.databaseValue
        let filenumber = Self.text(body["filenumber"])
        let found = try await pool.write { db -> Bool in
            guard let id = try Seeder.accountID(db, filenumber) else { return false }
            let owner = try Seeder.PhoneOwner.of(db, accountID: id)
            let table: ChildTable = Self.emailStatsPermissions.contains(field) ? .emailstats : .permissions
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name) WHERE maindatabaseid = ?", arguments: [id]) == 0 {
                var fresh: [String: DatabaseValue] = ["filenumber": owner.filenumber]
                if table.name == ChildTable.emailstats.name {
                    // A new stats row reads like the document's: counts 0, dates the 1900 placeholder.
                    for column in ["linkclickcount", "openedcount", "registeredportal", "sentcount"] { fresh[column] = 0.databaseValue }
                    for column in ["last_email_date", "lastportallogin"] { fresh[column] = "Mon, 01 Jan 1900 00:00:00 GMT".databaseValue }
                }
                try Seeder.insertChild(db, table, accountID: id, values: fresh)
            }
            // getemailstats shows its dates in RFC 1123.
            let value = table.name == ChildTable.emailstats.name && type == .date ? DateStyles.rfc1123(DateStyles.isoDay(value) ?? Date()).databaseValue : stored
            try db.execute(sql: "UPDATE \(table.name) SET \(Schema.quoted(field)) = ? WHERE maindatabaseid = ?", arguments: [value, id])
            return true
        }
        guard found else { return Reply.error("Data not found for this filenumber") }
        return Reply.success("Account permissions table updated successfully").afterCommit()
    }
}
