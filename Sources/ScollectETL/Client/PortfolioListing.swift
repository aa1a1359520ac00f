import Foundation

/// `get_accounts_in_portfolio`: the one call that reads many accounts at once. Its keys are
/// not `dbase` names (`MM Address` is `address`, `lotno` is `filenumber`, `DOB` is
/// `birthdate`…); they are mapped here, once. It carries the first 15 phones with their
/// statuses, and no account status.
public enum PortfolioListing {
    /// Listing key → dbase field.
    public static let dbaseField: [String: String] = {
        var map = [
            "CO AMT": "chargedoffprincipal", "CO Date": "datechargedoff", "Current UPB": "currentbalance",
            "DOB": "birthdate", "E-Mail": "emailaddress", "Last Paid Date": "lastpaymentdate",
            "Lot_Group_master": "portfoliogroup", "MM Address": "address", "MM City": "city", "MM State": "state",
            "MM Zip": "zip", "OrigDate": "dateaccountopened", "Originator": "originalcreditor", "SOLdate": "statuteoflimdate",
            "SSN": "socialsecuritynumber", "co_first": "codebtor1firstname", "co_last": "codebtor1lastname",
            "co_ssn": "codebtor1socialsecurity", "codebtor1primaryphone": "codebtor1primaryphone", "creditor": "clientname",
            "description": "typeofdebt", "firstname": "firstname", "lastactive": "lastworked", "lastname": "lastname",
            "lot_group": "portfolio", "lotno": "filenumber", "origacctno": "accountnumber",
        ]
        for index in 1...60 { map["custom\(index)"] = "custom\(index)" }
        return map
    }()

    /// The dbase fields a listing answers for.
    public static let coveredFields = Set(dbaseField.values)
    /// Phones a listing shows per account (`phone1`…`phone15`).
    static let phoneSlots = 15

    public struct Account {
        public let filenumber: String
        public var snapshot: AccountSnapshot
        /// False when all 15 phone slots are used: the account may have more, read them with getphones.
        public var phonesComplete: Bool
    }

    /// Reads a spooled listing answer (`{"result": [ {…}, … ], …}`) one account at a time, in
    /// bounded memory whatever the portfolio's size; keeps only the fields asked for.
    public static func read(file path: String, keeping fields: Set<String>, _ body: (Account) -> Void) throws {
        let parser = StreamingJSONParser(source: try openByteSource(path: path))
        var inResult = false
        var key = ""
        var values: [String: String?] = [:]
        while true {
            let event = try parser.next()
            switch event {
            case .end: return
            case .key:
                key = String(decoding: parser.token, as: UTF8.self)
                if parser.depth == 1 { inResult = key == "result" }
            case .objectStart where inResult && parser.depth == 3:
                values.removeAll(keepingCapacity: true)
            case .objectEnd where inResult && parser.depth == 2:
                if let account = account(from: values, keeping: fields) { body(account) }
            case .string where inResult && parser.depth == 3, .number where inResult && parser.depth == 3:
                values[key] = String(decoding: parser.token, as: UTF8.self)
            case .null where inResult && parser.depth == 3:
                values[key] = .some(nil)
            case let .bool(flag) where inResult && parser.depth == 3:
                values[key] = flag ? "true" : "false"
            default:
                break
            }
        }
    }

    static func account(from values: [String: String?], keeping fields: Set<String>) -> Account? {
        guard let filenumber = (values["lotno"] ?? nil)?.trimmingCharacters(in: .whitespaces), !filenumber.isEmpty else { return nil }
        var snapshot = AccountSnapshot()
        for (key, value) in values {
            if let field = dbaseField[key], fields.contains(field) { snapshot.fields[field] = value }
        }
        var used = 0
        for slot in 1...phoneSlots {
            guard let number = values["phone\(slot)"] ?? nil, !number.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            let digits = number.filter(\.isNumber)
            snapshot.phoneDigits.insert(digits)
            if let status = values["phonestatus\(slot)"] ?? nil, !status.trimmingCharacters(in: .whitespaces).isEmpty { snapshot.phoneStatus[digits] = status }
            used += 1
        }
        return Account(filenumber: filenumber.uppercased(), snapshot: snapshot, phonesComplete: used < phoneSlots)
    }
}
