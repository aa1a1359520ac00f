import Foundation

/// The body of `insert_payments_external` / `insert_payplan_external`, built from a row and
/// checked before any call: the document marks every field required, so each is sent, and a
/// field that does not apply (the card fields of an ACH payment) is sent as "".
///
/// Checks: required values present; `paymentdate` yyyy-mm-dd; `paymentamount` `1234.50` and
/// above zero; `acceptedfees` 0/1; a card number passes the Luhn check, its expiry (month/year
/// and `MM/YYYY`) agrees and has not passed by the payment's month, a CVV is 3–4 digits; an ACH
/// routing number passes the ABA checksum. Messages never show a card number (first 6 / last 4
/// at most) or a CVV.
public struct PaymentFields: Sendable {
    /// In the document's order.
    public static let all = [
        "filenumber", "paymentdate", "payorname", "paymentmethod", "paymentstatus", "typeofpayment",
        "checkaccountnumber", "checkroutingnumber", "cardtype", "cardnumber", "threedigitnumber",
        "cardexpirationmonth", "cardexpirationyear", "cardexpirationdate", "paymentamount", "checkaccounttype",
        "acceptedfees", "printed", "invoice",
    ]
    /// Must hold a value (from the file or the writer's defaults).
    static let required = ["filenumber", "paymentdate", "paymentamount", "payorname", "paymentmethod", "paymentstatus", "typeofpayment"]
    static let cardFields = ["cardtype", "cardnumber", "threedigitnumber", "cardexpirationmonth", "cardexpirationyear", "cardexpirationdate"]
    static let checkFields = ["checkaccountnumber", "checkroutingnumber", "checkaccounttype"]

    /// Values for fields the file does not carry (`paymentstatus: POSTED`).
    public let defaults: [String: String]
    public let writerName: String

    /// Reads `defaults:` and checks that the date and amount fields go through their normalisers.
    init(options: ConfigSection, context: WriterContext, writerName: String) throws {
        self.writerName = writerName
        var defaults: [String: String] = ["acceptedfees": "0", "printed": "false"]
        if let node = options["defaults"] {
            for entry in try node.pairs() {
                guard PaymentFields.all.contains(entry.key), entry.key != "filenumber" else {
                    let hint = closestMatch(to: entry.key, in: PaymentFields.all).map { " — did you mean \"\($0)\"?" } ?? ""
                    throw entry.keyNode.error("\(writerName).defaults: \"\(entry.key)\" is not a payment field\(hint)")
                }
                guard !["cardnumber", "threedigitnumber", "checkaccountnumber"].contains(entry.key) else {
                    throw entry.keyNode.error("\(writerName).defaults: \(entry.key) is card or bank data; it comes from the input file, never from the pipeline")
                }
                defaults[entry.key] = try entry.value.string()
            }
        }
        self.defaults = defaults
        for (field, normalizer) in [("paymentdate", DateNormalizer.name), ("paymentamount", MoneyNormalizer.name)] where context.mappedFields.contains(field) {
            guard let actual = context.normalizers[field], type(of: actual).name == normalizer else {
                throw options.node.error("\(writerName): \"\(field)\" must be normalised as \(normalizer) (add \"\(field): \(normalizer)\" under normalize)")
            }
        }
    }

    /// The row's value for a payment field: the file's, else the default, else "".
    func value(_ field: String, in row: NormalizedRow) -> String {
        if case let .value(text)? = row[field] { return text }
        return defaults[field] ?? ""
    }

    /// The checked body fields of one row, in the document's order, or why the row cannot be sent.
    func build(_ row: NormalizedRow) -> Result<[(String, String)], RowIssue> {
        var values: [String: String] = [:]
        for field in PaymentFields.all { values[field] = value(field, in: row).trimmingCharacters(in: .whitespaces) }
        values["filenumber"] = row.filenumber
        for field in PaymentFields.required where values[field]!.isEmpty {
            return .failure(RowIssue(.missingField, field: field, "\(field) is required but the row has none (a blank cell, or a no-news value such as N/A or NULL): map a column to it or set \(writerName).defaults.\(field)"))
        }
        if let issue = PaymentFields.checkDate(values["paymentdate"]!, field: "paymentdate") { return .failure(issue) }
        if let issue = PaymentFields.checkAmount(values["paymentamount"]!, field: "paymentamount") { return .failure(issue) }
        switch values["acceptedfees"]!.lowercased() {
        case "1", "true", "yes", "y": values["acceptedfees"] = "1"
        case "0", "false", "no", "n", "": values["acceptedfees"] = "0"
        default: return .failure(RowIssue(.invalidField, field: "acceptedfees", "acceptedfees must be 0 or 1, found \"\(values["acceptedfees"]!)\""))
        }
        if values["cardnumber"]!.isEmpty {
            for field in PaymentFields.cardFields { values[field] = "" }
        } else if let issue = PaymentFields.checkCard(&values) {
            return .failure(issue)
        }
        if values["checkaccountnumber"]!.isEmpty {
            for field in PaymentFields.checkFields { values[field] = "" }
        } else if let issue = PaymentFields.checkBankAccount(&values) {
            return .failure(issue)
        }
        return .success(PaymentFields.all.map { ($0, values[$0]!) })
    }

    static func checkDate(_ value: String, field: String) -> RowIssue? {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              case let .value(normalized, _) = DateNormalizer().normalize(value), normalized == value else {
            return RowIssue(.invalidDate, field: field, "\(field) must be a date yyyy-mm-dd, found \"\(value)\"")
        }
        return nil
    }

    static func checkAmount(_ value: String, field: String) -> RowIssue? {
        guard value.range(of: #"^-?[0-9]+\.[0-9]{2}$"#, options: .regularExpression) != nil, let cents = PaymentKey.cents(value) else {
            return RowIssue(.invalidMoney, field: field, "\(field) must be an amount like 1234.50, found \"\(value)\"")
        }
        guard cents > 0 else { return RowIssue(.invalidAmount, field: field, "\(field) must be above zero, found \(value)") }
        return nil
    }

    /// Card number, expiry and CVV; rewrites them into the sent forms (digits; `MM`, `YYYY`, `MM/YYYY`).
    static func checkCard(_ values: inout [String: String]) -> RowIssue? {
        let digits = values["cardnumber"]!.filter { !" -".contains($0) }
        guard (13...19).contains(digits.count), digits.allSatisfy(\.isASCIIDigit) else {
            return RowIssue(.invalidCard, field: "cardnumber", "cardnumber must be 13 to 19 digits (\(Masking.maskCard(digits)))")
        }
        guard luhnValid(digits) else {
            return RowIssue(.invalidCard, field: "cardnumber", "cardnumber \(Masking.maskCard(digits)) fails the Luhn check")
        }
        values["cardnumber"] = digits
        let cvv = values["threedigitnumber"]!
        if !cvv.isEmpty, !((3...4).contains(cvv.count) && cvv.allSatisfy(\.isASCIIDigit)) {
            return RowIssue(.invalidCVV, field: "threedigitnumber", "threedigitnumber (CVV) must be 3 or 4 digits")
        }

        var month: Int?
        var year: Int?
        func year4(_ text: Substring) -> Int? {
            guard let value = Int(text), text.allSatisfy(\.isASCIIDigit) else { return nil }
            if text.count == 2 { return 2000 + value }
            return text.count == 4 ? value : nil
        }
        let dateText = values["cardexpirationdate"]!
        if !dateText.isEmpty {
            let separators: Set<Character> = ["/", "-"]
            let parts = dateText.split(whereSeparator: { separators.contains($0) })
            if parts.count == 2, parts[0].count == 4 { // YYYY-MM
                year = year4(parts[0]); month = Int(parts[1])
            } else if parts.count == 2 { // MM/YYYY, MM/YY
                month = Int(parts[0]); year = year4(parts[1])
            }
            guard let m = month, (1...12).contains(m), year != nil else {
                return RowIssue(.invalidCardExpiry, field: "cardexpirationdate", "cardexpirationdate must be MM/YYYY, found \"\(dateText)\"")
            }
        }
        let monthText = values["cardexpirationmonth"]!, yearText = values["cardexpirationyear"]!
        if !monthText.isEmpty || !yearText.isEmpty {
            guard let m = Int(monthText), (1...12).contains(m), let y = year4(Substring(yearText)) else {
                return RowIssue(.invalidCardExpiry, field: "cardexpirationmonth", "card expiry month/year must be 1–12 and a year, found \"\(monthText)\"/\"\(yearText)\"")
            }
            if let month, let year, month != m || year != y {
                return RowIssue(.invalidCardExpiry, field: "cardexpirationdate",
                                "card expiry disagrees: cardexpirationdate \(dateText) but month/year \(monthText)/\(yearText)")
            }
            month = m
            year = y
        }
        guard let month, let year else {
            return RowIssue(.invalidCardExpiry, field: "cardexpirationdate", "a card payment needs the card's expiry (cardexpirationdate or month and year)")
        }
        let paymentMonth = values["paymentdate"]!.prefix(7)
        let expiryMonth = String(format: "%04d-%02d", year, month)
        if expiryMonth < paymentMonth {
            return RowIssue(.cardExpired, field: "cardexpirationdate", "the card expired \(String(format: "%02d/%04d", month, year)), before the payment date \(values["paymentdate"]!)")
        }
        values["cardexpirationmonth"] = String(format: "%02d", month)
        values["cardexpirationyear"] = String(year)
        values["cardexpirationdate"] = String(format: "%02d/%04d", month, year)
        return nil
    }

    static func checkBankAccount(_ values: inout [String: String]) -> RowIssue? {
        let account = values["checkaccountnumber"]!.filter { !" -".contains($0) }
        guard (4...17).contains(account.count), account.allSatisfy(\.isASCIIDigit) else {
            return RowIssue(.invalidBankAccount, field: "checkaccountnumber", "checkaccountnumber must be 4 to 17 digits (…\(account.suffix(4)))")
        }
        values["checkaccountnumber"] = account
        let routing = values["checkroutingnumber"]!
        // Excel drops the leading zero of routing numbers such as 011000015.
        let padded = routing.count == 8 && routing.allSatisfy(\.isASCIIDigit) ? "0" + routing : routing
        guard padded.count == 9, padded.allSatisfy(\.isASCIIDigit), abaValid(padded) else {
            return RowIssue(.invalidBankAccount, field: "checkroutingnumber", "checkroutingnumber must be a valid 9-digit ABA routing number, found \"\(routing)\"")
        }
        values["checkroutingnumber"] = padded
        return nil
    }

    static func luhnValid(_ digits: String) -> Bool {
        CardNumberScanner.passesLuhn(Array(digits.utf8))
    }

    static func abaValid(_ digits: String) -> Bool {
        let d = digits.map { Int(String($0))! }
        return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0
    }

    static func lookup(_ field: String, in body: [(String, String)]) -> String {
        body.first { $0.0 == field }?.1 ?? ""
    }

    /// The client reference of a payment (`invoice` unless the pipeline names another field).
    static func reference(_ field: String?, in body: [(String, String)], row: NormalizedRow) -> String? {
        guard let field else { return nil }
        let value = body.first { $0.0 == field }?.1 ?? {
            if case let .value(text)? = row[field] { return text }
            return ""
        }()
        return value.isEmpty ? nil : value
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
