import Crypto
import Foundation

/// How a write not safe to send twice becomes a ledger entry, and the reads that settle one whose
/// answer was lost: the account's records of its kind, counted by the journal's keys. A payment's
/// key is its date and amount; a phone's its digits; a note's its collector and message, an
/// attempt's its phone, outcome, agent and type (folded and digested: the journal keeps no text).
/// `createCallback` and Factors Network notes have no read: their lost answers stay unknown.
extension SettlingRead {
    /// The read's endpoint and what it lists (nil: no read lists such writes).
    var endpoint: String? { listing?.endpoint }
    var listing: (endpoint: String, records: String)? {
        switch self {
        case .payments: return ("getpayments", "payments")
        case .phones: return ("getphones", "phones")
        case .notes: return ("getnotes", "notes")
        case .attempts: return ("getattempts", "contact attempts")
        case .none: return nil
        }
    }
}

enum SettlingReads {
    /// The read that settles a call's outcome, by endpoint.
    static func read(of call: APICall) -> SettlingRead {
        switch call.endpoint {
        case "insert_payments_external", "insertpayplan": return .payments
        case "insertphone": return .phones
        case "InsertNoteline": return .notes
        case "insertattempt": return .attempts
        default: return .none
        }
    }

    /// The ledger intent of a call that is not safe to send twice and that its writer did not
    /// journal itself (payments do); nil for a call safe to send twice.
    static func intent(for planned: PlannedCall, sourceRow: Int) -> LedgerIntent? {
        if let ledger = planned.ledger { return ledger }
        guard !planned.call.idempotent else { return nil }
        let read = read(of: planned.call)
        let item: String
        switch (read, planned.effect) {
        case let (.phones, .addPhone(digits)):
            item = digits
        case (.notes, _):
            item = noteKey(collector: planned.call.body?["collectorname"]?.stringValue, message: planned.call.body?["logmessage"]?.stringValue)
        case (.attempts, _):
            item = attemptKey(planned.call.body)
        default:
            item = digest([planned.call.endpoint, planned.call.body.map { Masking.mask($0).serialized } ?? ""])
        }
        return LedgerIntent(key: "row:\(sourceRow):\(planned.call.endpoint):\(item)", sourceRow: sourceRow, read: read, items: [item])
    }

    static func noteKey(collector: String?, message: String?) -> String {
        digest([fold(collector), fold(message)])
    }

    static func attemptKey(_ record: JSONValue?) -> String {
        let phone = (record?["phonenumber"]?.stringValue ?? "").filter(\.isNumber)
        return digest([phone] + ["dispo", "agent", "type"].map { fold(record?[$0]?.stringValue) })
    }

    /// Case and white space do not tell two notes apart (the API may trim or re-wrap them).
    static func fold(_ text: String?) -> String {
        String((text ?? "").uppercased().unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) }.map(Character.init))
    }

    static func digest(_ parts: [String]) -> String {
        SHA256.hash(data: Data(parts.joined(separator: "\u{1F}").utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The account's records of that kind, counted by key; nil for `.none` (no read lists them).
    /// An account without any may answer with the API's "does not exist" wording: once the
    /// account is known to exist (read by this run, or confirmed with `getaccount` now), that
    /// means none.
    static func counts(_ read: SettlingRead, filenumber: String, accountKnown: Bool, client: ScollectClient,
                       http: any HTTPTransport, state: RunState) throws -> Result<[String: Int], RowIssue>? {
        guard let endpoint = read.endpoint else { return nil }
        let result = try client.perform(APIPath.accountRead(endpoint, filenumber), using: http)
        switch result.classification {
        case .success:
            return .success(keys(read, of: result).tally)
        case .emptyResult:
            return .success([:])
        case let .errorInBody(message, _) where ResponseClass.meansNoPhones(message) || ResponseClass.meansNoRecords(message):
            if accountKnown { return .success([:]) }
            return try confirmAccount(filenumber, answer: "\(endpoint): \(message)", client: client, http: http, state: state)
        default:
            state.failed(result)
            return .failure(result.rowIssue(summary: endpoint, idempotent: true))
        }
    }

    /// The keys of a read's records.
    static func keys(_ read: SettlingRead, of result: APIResult) -> [String] {
        switch read {
        case .phones:
            return result.phones.map(\.digits)
        case .payments:
            return records(result).compactMap { item in
                guard let date = item["paymentdate"]?.stringValue, let amount = item["paymentamount"]?.stringValue else { return nil }
                return PaymentKey(serverDate: date, serverAmount: amount)?.description
            }
        case .notes:
            return records(result).map { noteKey(collector: $0["collectorname"]?.stringValue, message: $0["logmessage"]?.stringValue) }
        case .attempts:
            return records(result).map { attemptKey($0) }
        case .none:
            return []
        }
    }

    /// `{"result": [...]}` or `{"result": {"result": [...]}}`.
    static func records(_ result: APIResult) -> [JSONValue] {
        let outer = result.json?["result"]
        return outer?.arrayValue ?? outer?["result"]?.arrayValue ?? []
    }

    private static func confirmAccount(_ filenumber: String, answer: String, client: ScollectClient, http: any HTTPTransport,
                                       state: RunState) throws -> Result<[String: Int], RowIssue> {
        let account = try client.perform(APIPath.accountRead("getaccount", filenumber), using: http)
        switch account.classification {
        case .success where account.json?["result"]?.arrayValue?.first?.objectValue != nil:
            return .success([:])
        case .success, .emptyResult:
            return .failure(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (\(answer))"))
        case let .errorInBody(text, _) where ResponseClass.meansNotFound(text):
            return .failure(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (\(answer))"))
        default:
            state.failed(account)
            return .failure(account.rowIssue(summary: "getaccount", idempotent: true))
        }
    }
}
