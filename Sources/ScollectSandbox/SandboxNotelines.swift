import Foundation
import GRDB

/// `POST /InsertNoteline`: a note line on the account, dated now (getnotes reads it back).
extension SandboxAPI {
    func insertNoteline(_ body: [String: SandboxJSON]) async throws -> Reply {
        guard !Self.isBlank(body["filenumber"]) else { return Reply.error("Data not found for this filenumber", code: 400) }
        let missing = ["collectorname", "logmessage"].filter { Self.isBlank(body[$0]) }
        guard missing.isEmpty else { return Reply.error("Missing required field(s): " + missing.joined(separator: ", "), code: 400) }
        let filenumber = Self.text(body["filenumber"])
        let now = Date()
        let found = try await pool.write { db -> Bool in
            guard let id = try Seeder.accountID(db, filenumber) else { return false }
            let owner = try Seeder.PhoneOwner.of(db, accountID: id)
            try Seeder.insertNote(db, accountID: id, filenumber: String.fromDatabaseValue(owner.filenumber) ?? filenumber,
                                  collector: Self.text(body["collectorname"]), message: Self.text(body["logmessage"]), at: now)
            return true
        }
        guard found else { return Reply.error("Data not found for this filenumber", code: 400) }
        return Reply.success("Noteline inserted successfully").afterCommit()
    }
}
