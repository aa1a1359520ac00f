/// `POST /update_payment_external`: changes the account's PENDING payments. **It changes every
/// PENDING payment of the account** — the API identifies payments by file number only, so a
/// row cannot pick one payment; payments in any other status are never touched (an account
/// with no pending payment is answered "No payment info found with filenumber …" and the row is
/// rejected with that message). Only the fields a row has are sent; a row with none of them
/// has nothing to update and sends nothing. Values are checked before any call: dates
/// yyyy-mm-dd, card number Luhn-valid, CVV 3–4 digits, expiry month 1–12 and a 4-digit year,
/// routing number ABA-valid, `acceptedfees` 1/0 (sent as the documented boolean). Idempotent:
/// the same update twice leaves the same payments.
///
/// ```yaml
/// writers:
///   - update_payment_external:
///       fields: [paymentdate, payorname]   # default: every mapped field it can update
/// ```
public struct UpdatePaymentExternalWriter: APIWriter {
    public static let name = "update_payment_external"
    public static let spec = ComponentSpec(.writer, name,
        summary: "POST /update_payment_external: changes every PENDING payment of the account with the fields the row has.",
        options: [
            OptionSpec("fields", .list, default: "every mapped field it can update", help: "The payment fields it sends.", example: "[paymentdate, payorname]"),
        ],
        example: "writers:\n  - update_payment_external:\n      fields: [paymentdate, payorname]")

    /// The document's body, filenumber aside.
    public static let updatable = [
        "paymentdate", "payorname", "paymentmethod", "paymentstatus", "typeofpayment", "checkaddress", "checkcity",
        "checkstate", "checkzip", "checkaccountnumber", "checkroutingnumber", "cardtype", "cardnumber",
        "threedigitnumber", "cardexpirationmonth", "cardexpirationyear", "cardexpirationdate", "checkaccounttype",
        "acceptedfees", "printed", "invoice",
    ]

    public let fields: [String]

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        fields = try FieldListOption(writer: Self.name, known: Self.updatable, kind: "a field it can update")
            .fields(options, context: context, otherWriterFields: otherWriterFields)
        guard !fields.isEmpty else { throw options.node.error("\(Self.name): no field it can update is mapped (\(Self.updatable.joined(separator: ", ")))") }
    }

    public var consumedFields: Set<String> { Set(fields) }
    public var reads: Set<AccountRead> { [.account] }

    /// The body's fields (filenumber aside), nil when the row updates nothing.
    func update(_ row: NormalizedRow) -> Result<[(String, JSONValue)], RowIssue>? {
        var given: [String: String] = [:]
        for field in fields {
            if case let .value(value)? = row[field], !value.trimmingCharacters(in: .whitespaces).isEmpty {
                given[field] = value.trimmingCharacters(in: .whitespaces)
            }
        }
        guard !given.isEmpty else { return nil }
        if let date = given["paymentdate"], let issue = PaymentFields.checkDate(date, field: "paymentdate") { return .failure(issue) }
        if let card = given["cardnumber"] {
            let digits = card.filter { !" -".contains($0) }
            guard (13...19).contains(digits.count), digits.allSatisfy(\.isASCIIDigit), PaymentFields.luhnValid(digits) else {
                return .failure(RowIssue(.invalidCard, field: "cardnumber", "cardnumber \(Masking.maskCard(digits)) is not a valid card number (13–19 digits, Luhn check)"))
            }
            given["cardnumber"] = digits
        }
        if let cvv = given["threedigitnumber"], !((3...4).contains(cvv.count) && cvv.allSatisfy(\.isASCIIDigit)) {
            return .failure(RowIssue(.invalidCVV, field: "threedigitnumber", "threedigitnumber (CVV) must be 3 or 4 digits"))
        }
        if let month = given["cardexpirationmonth"], !(Int(month).map { (1...12).contains($0) } ?? false) {
            return .failure(RowIssue(.invalidCardExpiry, field: "cardexpirationmonth", "cardexpirationmonth must be 1–12, found \"\(month)\""))
        }
        if let year = given["cardexpirationyear"], year.wholeMatch(of: #/20[0-9]{2}/#) == nil {
            return .failure(RowIssue(.invalidCardExpiry, field: "cardexpirationyear", "cardexpirationyear must be a 4-digit year, found \"\(year)\""))
        }
        if let routing = given["checkroutingnumber"] {
            let padded = routing.count == 8 && routing.allSatisfy(\.isASCIIDigit) ? "0" + routing : routing
            guard padded.count == 9, padded.allSatisfy(\.isASCIIDigit), PaymentFields.abaValid(padded) else {
                return .failure(RowIssue(.invalidBankAccount, field: "checkroutingnumber", "checkroutingnumber must be a valid 9-digit ABA routing number, found \"\(routing)\""))
            }
            given["checkroutingnumber"] = padded
        }
        if let account = given["checkaccountnumber"] {
            let digits = account.filter { !" -".contains($0) }
            guard (4...17).contains(digits.count), digits.allSatisfy(\.isASCIIDigit) else {
                return .failure(RowIssue(.invalidBankAccount, field: "checkaccountnumber", "checkaccountnumber must be 4 to 17 digits (…\(digits.suffix(4)))"))
            }
            given["checkaccountnumber"] = digits
        }
        var pairs: [(String, JSONValue)] = []
        for field in Self.updatable {
            guard let value = given[field] else { continue }
            if field == "acceptedfees" {
                guard let flag = PermissionFields.sendable(value, as: .flag) else {
                    return .failure(RowIssue(.invalidField, field: field, "acceptedfees must be 1 or 0, found \"\(value)\""))
                }
                pairs.append((field, .bool(flag == "1"))) // a boolean here, "0"/"1" on insert (SEEDS-NOTES 4)
            } else {
                pairs.append((field, .string(value)))
            }
        }
        return .success(pairs)
    }

    public func check(_ row: NormalizedRow) -> RowIssue? {
        if case let .failure(issue)? = update(row) { return issue }
        return nil
    }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        guard case let .success(pairs)? = update(row) else { return [] }
        let call = APICall(method: "POST", endpoint: Self.name, path: "/update_payment_external",
                           body: .object([("filenumber", .string(row.filenumber))] + pairs), filenumber: row.filenumber, idempotent: true)
        // Names only: the values may be card data.
        return [PlannedCall(call: call, effect: .none, summary: "\(Self.name) \(pairs.map(\.0).joined(separator: ", "))")]
    }
}
