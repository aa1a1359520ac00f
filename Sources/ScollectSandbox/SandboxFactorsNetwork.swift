import Foundation
import GRDB
import Hummingbird

/// The Factors Network's "Add Note", emulated under `/factorsnetwork` on the sandbox's server:
/// `POST /factorsnetwork/api/debtors/{duuid}/notes.json`, HTTP Basic, form fields. The
/// document shows only the success answer; its "Validation" column is answered here as JSON
/// `{"error": "…"}` with a 4xx status (401 without valid credentials, 403 when the user is not
/// associated with the creditor, 404 for an unknown debtor, 400 for the other fields).
///
/// Tables (`fn_debtors`, `fn_creditors`, `fn_notes`) are created by the schema migration and
/// hold the document's debtors and creditors plus a few sandbox ones. The sandbox has one user
/// (its Basic credentials); `fn_creditors.associated` says which creditors are that user's.
enum FactorsNetworkEmulation {
    static let prefix = "factorsnetwork"

    static let noteTypes = [
        "ADDRESS_CHANGE", "ADDRESS_MAIL_STORE", "ALTEREGOFIRM", "BANKRUPTCY_FILED", "BOND_TRUST", "BUSINESS_CLOSE",
        "CANCEL_LEASE", "COMPANY_RECEIVERSHIP", "CREDIT_HOLD", "CREDIT_REVOKED", "DORMANT_MC_RESURRECTED",
        "DOUBLE_BROKERING", "FRAUD_ACCOUNT", "HOLDINGS_LOADS_HOSTAGE", "JUDGMENT", "LOCATED_AT_SAME_ADDRESS",
        "ON_CASH_TERMS", "OWNERSHIP_CHANGE", "PAID_OVER_NOTICE", "PARENT_OR_AFFILIATE", "PHONE_DISCONNECTED",
        "POSSIBLE_AFFILIATE", "REFUSAL_OF_NOAS", "RETURNED_CHECK_EFT", "RETURNED_EQUIPMENT", "SKIPPED_NO_FORWARDING",
        "SLOW_PAY", "STOP_PAYMENT_ON_CHECK", "WRITE_OFF", "NO_BUY", "OFF_NO_BUY", "GOOD_PAY",
    ]

    /// The document's debtors, then the sandbox's (the sample pipeline uses those).
    static let debtors = [
        "dd1c6e63-7680-4d06-34f6-44d293694bba", "645d5f2e-4dba-411c-a74c-b4e7ca00c8bf",
        "af6c50e8-ed96-4366-921e-5157fb3d2550", "93c4a3d8-1006-4de0-a69f-fdf61e7543d9", "119d6cff-17d2-48f0-a395-990078989dab",
        "ae70caa0-d795-4998-8dbc-78b5bfe8b20c", "1a45ed81-6c9f-4dda-9328-df44036957d7", "26194e88-0e84-4127-86cd-7f6a31f4f668",
    ]
    /// Creditors the sandbox user is associated with (the document's two).
    static let userCreditors = ["710bc35a-d1f2-5678-b576-a15197909044", "24b3602c-dacc-4022-9ade-ecf99f749519"]
    /// A creditor that exists but is not the sandbox user's.
    static let otherCreditor = "e9b28a28-417f-4a9d-ad79-616f3d770ec2"

    static func createTables(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS fn_debtors (uuid TEXT PRIMARY KEY COLLATE NOCASE);
            CREATE TABLE IF NOT EXISTS fn_creditors (uuid TEXT PRIMARY KEY COLLATE NOCASE, associated INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS fn_notes (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, debtorUuid TEXT NOT NULL,
                creditorUuid TEXT NOT NULL, complaint TEXT, noteType TEXT NOT NULL, writeOffAmount, creationDate TEXT NOT NULL);
            """)
        for uuid in debtors { try db.execute(sql: "INSERT OR IGNORE INTO fn_debtors (uuid) VALUES (?)", arguments: [uuid]) }
        for uuid in userCreditors + [otherCreditor] {
            try db.execute(sql: "INSERT OR IGNORE INTO fn_creditors (uuid, associated) VALUES (?, ?)",
                           arguments: [uuid, uuid == otherCreditor ? 0 : 1])
        }
    }

    /// `a=1&b=x%20y` (a `+` is a space, as browsers and curl -d send it).
    static func formFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    /// The user of a valid `Authorization: Basic …` header, nil otherwise.
    static func basicUser(_ header: String?, user: String, password: String) -> String? {
        guard let header, header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
              let pair = String(data: data, encoding: .utf8) else { return nil }
        return pair == "\(user):\(password)" ? user : nil
    }

    static func fail(_ status: HTTPResponse.Status, _ message: String) -> Reply {
        Reply.json(["error": .string(message)], status: status)
    }
}

extension SandboxAPI {
    /// Every request under `/factorsnetwork`.
    func factorsNetwork(_ request: Request, _ rest: [Substring]) async throws -> Reply {
        guard rest.count == 4, rest[0] == "api", rest[1] == "debtors", rest[3] == "notes.json", !rest[2].isEmpty else {
            return FactorsNetworkEmulation.fail(.notFound, "Not Found")
        }
        guard request.method == .post else { return FactorsNetworkEmulation.fail(.methodNotAllowed, "Method Not Allowed") }
        guard FactorsNetworkEmulation.basicUser(request.headers[.authorization], user: factorsNetworkUser,
                                                           password: factorsNetworkPassword)
             != nil else { return FactorsNetworkEmulation.fail(.unauthorized, "Bad credentials") }
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        let fields = FactorsNetworkEmulation.formFields(String(decoding: buffer.readableBytesView, as: UTF8.self))
        let debtor = String(rest[2]).lowercased()
        let creditor = (fields["creditor"] ?? "").lowercased()
        let type = fields["type"] ?? ""
        guard FactorsNetworkEmulation.noteTypes.contains(type) else {
            return FactorsNetworkEmulation.fail(.badRequest, "The type can be " + FactorsNetworkEmulation.noteTypes.joined(separator: ", ") + ".")
        }
        var amount: SandboxJSON = .int(0)
        if let text = fields["writeOffAmount"], !text.isEmpty {
            if let whole = Int(text) { amount = .int(whole) } else if let value = Double(text), value.isFinite { amount = .double(value) } else {
                return FactorsNetworkEmulation.fail(.badRequest, "writeOffAmount must be a number.")
            }
        }
        let now = Date()
        var created = Self.factorsNetworkTime(now)
        if let text = fields["createdDate"], !text.isEmpty {
            guard Self.isFactorsNetworkTime(text) else {
                return FactorsNetworkEmulation.fail(.badRequest, "createdDate must be in the format yyyy-MM-dd HH:mm:ss.")
            }
            created = text
        }
        let note = fields["note"] ?? ""
        let storedAmount = amount, creationDate = created
        let uuid = UUID().uuidString.lowercased()
        enum Outcome { case noDebtor, noCreditor, notUsersCreditor, stored }
        let outcome = try await pool.write { db -> Outcome in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM fn_debtors WHERE uuid = ?", arguments: [debtor]) == 1 else { return .noDebtor }
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM fn_creditors WHERE uuid = ?", arguments: [creditor]) == 1 else { return .noCreditor }
            guard try Int.fetchOne(db, sql: "SELECT associated FROM fn_creditors WHERE uuid = ?", arguments: [creditor]) == 1
            else { return .notUsersCreditor }
            try db.execute(sql: """
                INSERT INTO fn_notes (uuid, debtorUuid, creditorUuid, complaint, noteType, writeOffAmount, creationDate)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [uuid, debtor, creditor, note, type, storedAmount.databaseValue, creationDate])
            return .stored
        }
        switch outcome {
        case .noDebtor: return FactorsNetworkEmulation.fail(.notFound, "Debtor UUID should exist in the system.")
        case .noCreditor: return FactorsNetworkEmulation.fail(.badRequest, "Creditor UUID should exist in the system.")
        case .notUsersCreditor: return FactorsNetworkEmulation.fail(.forbidden, "The authenticating user must be associated with the creditor.")
        case .stored:
            return Reply.json(["notes": [[
                "uuid": .string(uuid), "debtorUuid": .string(debtor), "creditorUuid": .string(creditor), "complaint": .string(note),
                "noteType": .string(type), "writeOffAmount": amount, "creationDate": .string(created),
            ]]]).afterCommit()
        }
    }

    /// `2013-12-16 15:02:32`, UTC.
    static func factorsNetworkTime(_ date: Date) -> String {
        let stamp = DateStyles.rfc1123(date) // `Thu, 01 Dec 2022 13:14:01 GMT`
        let day = DateStyles.rfc1123DayKey(stamp) ?? 0
        return String(format: "%04d-%02d-%02d ", day / 10000, day / 100 % 100, day % 100) + stamp.dropFirst(17).prefix(8)
    }

    /// `yyyy-MM-dd HH:mm:ss` with a real day and a 24-hour time.
    static func isFactorsNetworkTime(_ text: String) -> Bool {
        let parts = text.split(separator: " ")
        guard parts.count == 2, parts[0].count == 10, DateStyles.isoDay(String(parts[0])) != nil else { return false }
        let clock = parts[1].split(separator: ":")
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 && $0.allSatisfy({ $0.isASCII && $0.isNumber }) }),
              let h = Int(clock[0]), let m = Int(clock[1]), let s = Int(clock[2]) else { return false }
        return h < 24 && m < 60 && s < 60
    }
}
