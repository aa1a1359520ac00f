import Foundation
import GRDB

/// `POST /createCallback`: a callback record. The API has no read for callbacks; tests look
/// in the `callbacks` table. Its only documented error is the empty result, given here for an
/// unknown account and for a request missing a field or with a date that is not yyyy-mm-dd.
extension SandboxAPI {
    static let callbackFields = ["FileNumber", "Name", "Assignedto", "Callbackdate", "Callbacktime", "Callbackdatemysql"]

    func createCallback(_ body: [String: SandboxJSON]) async throws -> Reply {
        let required = Self.callbackFields.filter { $0 != "Name" }
        guard required.allSatisfy({ !Self.isBlank(body[$0]) }),
              DateStyles.isoDay(Self.text(body["Callbackdate"])) != nil, DateStyles.isoDay(Self.text(body["Callbackdatemysql"])) != nil
        else { return Reply.emptyResult }
        let filenumber = Self.text(body["FileNumber"])
        let found = try await pool.write { db -> Bool in
            guard let id = try Seeder.accountID(db, filenumber) else { return false }
            var values: [String: DatabaseValue] = ["created": DateStyles.rfc1123(Date()).databaseValue]
            for field in Self.callbackFields { values[field] = Self.text(body[field]).databaseValue }
            try Seeder.insertChild(db, .callbacks, accountID: id, values: values)
            return true
        }
        guard found else { return Reply.emptyResult }
        return Reply.result(["Success": "Callback has been uploaded"]).afterCommit()
    }
}
