import Foundation
import GRDB

/// `PUT /updatephone`: the type and/or status of one of the account's phones (getphones reads
/// it back), with a note as Scollect writes one.
extension SandboxAPI {
    func updatePhone(_ body: [String: SandboxJSON]) async throws -> Reply {
        guard !Self.isBlank(body["filenumber"]) else { return Reply.error("Data not found for this filenumber", code: 400) }
        let type = Self.isBlank(body["phonetype"]) ? nil : Self.text(body["phonetype"])
        let status = Self.isBlank(body["phonestatus"]) ? nil : Self.text(body["phonestatus"])
        guard type != nil || status != nil else { return Reply.error("You need to provide at least one field to update", code: 400) }
        let number = Self.text(body["phonenumber"])
        guard Self.isFormattedPhone(number) else {
            return Reply.error("Invalid phone number format. Use ###-###-####", code: 400)
        }
        let filenumber = Self.text(body["filenumber"])
        let now = Date()
        enum Outcome { case noAccount, noPhone, updated }
        let outcome = try await pool.write { db -> Outcome in
            guard let id = try Seeder.accountID(db, filenumber) else { return .noAccount }
            let digits = Self.digits(number)
            let phones = try Row.fetchAll(db, sql: "SELECT id, phonenumber, phonetype, phonestatus FROM phones WHERE maindatabaseid = ?", arguments: [id])
            let matching = phones.filter { Self.digits(($0["phonenumber"] as String?) ?? "") == digits }
            guard !matching.isEmpty else { return .noPhone }
            let owner = try Seeder.PhoneOwner.of(db, accountID: id)
            for phone in matching {
                let phoneID: Int64 = phone["id"]
                let newType = type ?? (phone["phonetype"] as String?) ?? ""
                let newStatus = status ?? (phone["phonestatus"] as String?) ?? ""
                try db.execute(sql: "UPDATE phones SET phonetype = ?, phonestatus = ?, lastchange = ? WHERE id = ?",
                               arguments: [newType, newStatus, DateStyles.rfc1123(now), phoneID])
                try Seeder.insertNote(db, accountID: id, filenumber: String.fromDatabaseValue(owner.filenumber) ?? filenumber,
                                      collector: "API", message: "Changed phonenumber id: \(phoneID) \(number) Type: \(newType) Status: \(newStatus)", at: now)
            }
            return .updated
        }
        switch outcome {
        case .noAccount: return Reply.error("Data not found for this filenumber", code: 400)
        case .noPhone: return Reply.error("Phone number \(number) not found for this filenumber", code: 404)
        case .updated: return Reply.success("Phone number updated successfully").afterCommit()
        }
    }
}
