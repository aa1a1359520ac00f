import Foundation
import GRDB

/// `POST /insertattempt`: a contact attempt on the account, dated now, outbound
/// (getattempts reads it back).
extension SandboxAPI {
    static let attemptFields = ["phonenumber", "dispo", "agent", "type", "filenumber"]

    func insertAttempt(_ body: [String: SandboxJSON]) async throws -> Reply {
        guard !Self.isBlank(body["filenumber"]) else { return Reply.error("Data not found for this filenumber", code: 400) }
        let missing = Self.attemptFields.filter { Self.isBlank(body[$0]) }
        guard missing.isEmpty else { return Reply.error("Missing required field(s): " + missing.joined(separator: ", "), code: 400) }
        let phone = Self.text(body["phonenumber"])
        guard Self.isFormattedPhone(phone) else { return Reply.error("Invalid phone number format. Use ###-###-####", code: 400) }
        let filenumber = Self.text(body["filenumber"])
        let now = Date()
        // The day as `Wed, 04 Oct 2023 00:00:00 GMT` and the time as `09:45`, as getattempts shows them.
        let stamp = DateStyles.rfc1123(now)
        let day = stamp.prefix(17) + "00:00:00 GMT"
        let time = String(stamp.dropFirst(17).prefix(5))
        let found = try await pool.write { db -> Bool in
            guard let id = try Seeder.accountID(db, filenumber) else { return false }
            let owner = try Seeder.PhoneOwner.of(db, accountID: id)
            try Seeder.insertChild(db, .attempts, accountID: id, values: [
                "agent": Self.text(body["agent"]).databaseValue,
                "date": String(day).databaseValue,
                "direction": "Outbound".databaseValue,
                "dispo": Self.text(body["dispo"]).databaseValue,
                "filenumber": owner.filenumber,
                "phonenumber": phone.databaseValue,
                "time": time.databaseValue,
                "type": Self.text(body["type"]).databaseValue,
                "wassecond": 0.databaseValue,
            ])
            return true
        }
        guard found else { return Reply.error("Data not found for this filenumber", code: 400) }
        return Reply.success("Attempt inserted successfully").afterCommit()
    }

    /// `###-###-####`, as the document writes phone numbers.
    static func isFormattedPhone(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 12 else { return false }
        for (i, b) in bytes.enumerated() {
            if i == 3 || i == 7 { guard b == UInt8(ascii: "-") else { return false } } else { guard (48...57).contains(b) else { return false } }
        }
        return true
    }
}
