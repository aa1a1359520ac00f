import Foundation

/// Factors Network "Add Note" (`POST /api/debtors/{duuid}/notes.json`, HTTP Basic, form
/// fields `creditor`, `note`, `type`, `writeOffAmount`, `createdDate`): reports a debtor to the
/// Factors Network. The call goes to the second service (`APIService.factorsNetwork`); its URL
/// and credentials come from the environment, never from here. A row with no debtor UUID has no
/// note. Checked before any call: debtor and creditor UUIDs, the type among the 32 documented,
/// a write-off amount for WRITE_OFF and NO_BUY (and only for them), `createdDate` a past time
/// (it back-dates a note), sent as `yyyy-MM-dd HH:mm:ss` in 24-hour time. Not idempotent, and
/// the API has no read to look a note up: a note whose answer was lost is never re-sent.
///
/// ```yaml
/// writers:
///   - factors_network_note:
///       debtor: { field: fn_debtor }          # the debtor's UUID, per row
///       creditor: 710bc35a-d1f2-5678-b576-a15197909044   # one creditor for the file, or { field: … }
///       type: { field: fn_type }              # or a literal, e.g. SLOW_PAY
///       note: { field: fn_note }              # optional
///       writeOffAmount: { field: fn_amount }  # WRITE_OFF and NO_BUY only
///       createdDate: { field: fn_date }       # optional: back-dates the note
/// ```
public struct FactorsNetworkNoteWriter: APIWriter {
    public static let name = "factors_network_note"
    public static let spec = ComponentSpec(.writer, name,
        summary: "Factors Network \"Add Note\": reports a debtor (URL and credentials from FACTORS_NETWORK_* only).",
        options: [
            OptionSpec("debtor", .value(WriterValue.typeName), required: true, help: "The debtor's UUID, from a field.", example: "{ field: fn_debtor }"),
            OptionSpec("creditor", .value(WriterValue.typeName), required: true, help: "The creditor's UUID.", example: "710bc35a-d1f2-5678-b576-a15197909044"),
            OptionSpec("type", .value(WriterValue.typeName), required: true, help: "One of the 32 documented note types.", example: "SLOW_PAY"),
            OptionSpec("note", .value(WriterValue.typeName), help: "The note's text.", example: "{ field: fn_note }"),
            OptionSpec("writeOffAmount", .value(WriterValue.typeName), help: "For WRITE_OFF and NO_BUY only.", example: "{ field: fn_amount }"),
            OptionSpec("createdDate", .value(WriterValue.typeName), help: "Back-dates the note (a past time).", example: "{ field: fn_date }"),
        ],
        example: "writers:\n  - factors_network_note:\n      debtor: { field: fn_debtor }\n      creditor: 710bc35a-d1f2-5678-b576-a15197909044\n      type: SLOW_PAY")

    /// The note types the document lists.
    public static let noteTypes: Set<String> = [
        "ADDRESS_CHANGE", "ADDRESS_MAIL_STORE", "ALTEREGOFIRM", "BANKRUPTCY_FILED", "BOND_TRUST", "BUSINESS_CLOSE",
        "CANCEL_LEASE", "COMPANY_RECEIVERSHIP", "CREDIT_HOLD", "CREDIT_REVOKED", "DORMANT_MC_RESURRECTED",
        "DOUBLE_BROKERING", "FRAUD_ACCOUNT", "HOLDINGS_LOADS_HOSTAGE", "JUDGMENT", "LOCATED_AT_SAME_ADDRESS",
        "ON_CASH_TERMS", "OWNERSHIP_CHANGE", "PAID_OVER_NOTICE", "PARENT_OR_AFFILIATE", "PHONE_DISCONNECTED",
        "POSSIBLE_AFFILIATE", "REFUSAL_OF_NOAS", "RETURNED_CHECK_EFT", "RETURNED_EQUIPMENT", "SKIPPED_NO_FORWARDING",
        "SLOW_PAY", "STOP_PAYMENT_ON_CHECK", "WRITE_OFF", "NO_BUY", "OFF_NO_BUY", "GOOD_PAY",
    ]
    /// The types the document shows with a `writeOffAmount`.
    public static let writeOffTypes: Set<String> = ["WRITE_OFF", "NO_BUY"]

    let debtor: WriterValue
    let creditor: WriterValue
    let type: WriterValue
    let note: WriterValue?
    let writeOffAmount: WriterValue?
    let createdDate: WriterValue?
    /// The time `createdDate` is checked against (tests pin it).
    var now: @Sendable () -> Date = { Date() }

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        let read = { (key: String) in try WriterValue.read(options.required(key), writer: Self.name, context: context) }
        debtor = try read("debtor")
        guard debtor.field != nil else { throw options.node.error("\(Self.name): debtor must come from a mapped field ({ field: … }): each row names its debtor") }
        creditor = try read("creditor")
        if case let .literal(uuid) = creditor, !ValueFormats.isUUID(uuid) {
            throw options.node.error("\(Self.name): creditor \"\(uuid)\" is not a UUID")
        }
        type = try read("type")
        if case let .literal(name) = type, !Self.noteTypes.contains(name.uppercased()) {
            let hint = closestMatch(to: name.uppercased(), in: Array(Self.noteTypes)).map { " — did you mean \"\($0)\"?" } ?? ""
            throw options.node.error("\(Self.name): type \"\(name)\" is not a documented note type\(hint)")
        }
        note = try WriterValue.read(options, "note", writer: Self.name, context: context)
        writeOffAmount = try WriterValue.read(options, "writeOffAmount", writer: Self.name, context: context)
        createdDate = try WriterValue.read(options, "createdDate", writer: Self.name, context: context)
    }

    public var service: APIService { .factorsNetwork }
    public var consumedFields: Set<String> {
        Set([debtor, creditor, type, note, writeOffAmount, createdDate].compactMap { $0?.field })
    }
    public var reads: Set<AccountRead> { [] }

    /// `2015-09-21 19:10:00`, `2015-09-21T19:10`, `2015-09-21 7:10:00 PM`, `2015-09-21` →
    /// `yyyy-MM-dd HH:mm:ss` (24-hour, SEEDS-NOTES 10); nil when it is not a real time.
    static func createdDateText(_ text: String) -> (text: String, date: Date)? {
        guard let match = text.trimmingCharacters(in: .whitespaces)
            .wholeMatch(of: #/([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\s*([AaPp][Mm])?)?/#),
            ValueFormats.isDay(String(match.1)) else { return nil }
        var hour = match.2.flatMap { Int($0) } ?? 0
        let minute = match.3.flatMap { Int($0) } ?? 0, second = match.4.flatMap { Int($0) } ?? 0
        if let half = match.5 {
            guard (1...12).contains(hour) else { return nil }
            hour = hour % 12 + (half.uppercased() == "PM" ? 12 : 0)
        }
        guard hour < 24, minute < 60, second < 60 else { return nil }
        let formatted = String(match.1) + String(format: " %02d:%02d:%02d", hour, minute, second)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        guard let date = formatter.date(from: formatted) else { return nil }
        return (formatted, date)
    }

    /// The debtor UUID and the form fields; nil when the row has no note.
    func form(_ row: NormalizedRow) -> Result<(debtor: String, fields: [(String, String)]), RowIssue>? {
        guard let debtorUUID = debtor.value(in: row) else { return nil }
        guard ValueFormats.isUUID(debtorUUID) else {
            return .failure(RowIssue(.invalidUUID, field: debtor.field, "\(Self.name): the debtor UUID must be like dd1c6e63-7680-4d06-34f6-44d293694bba, found \"\(debtorUUID)\""))
        }
        guard let creditorUUID = creditor.value(in: row) else {
            return .failure(RowIssue(.missingField, field: creditor.field ?? "creditor", "\(Self.name): the creditor UUID is blank"))
        }
        guard ValueFormats.isUUID(creditorUUID) else {
            return .failure(RowIssue(.invalidUUID, field: creditor.field ?? "creditor", "\(Self.name): the creditor UUID must be like 710bc35a-d1f2-5678-b576-a15197909044, found \"\(creditorUUID)\""))
        }
        guard let typeName = type.value(in: row)?.uppercased() else {
            return .failure(RowIssue(.missingField, field: type.field ?? "type", "\(Self.name): the note type is blank"))
        }
        guard Self.noteTypes.contains(typeName) else {
            return .failure(RowIssue(.invalidNoteType, field: type.field ?? "type", "\(Self.name): \"\(typeName)\" is not a Factors Network note type (\(Self.noteTypes.sorted().joined(separator: ", ")))"))
        }
        var fields = [("creditor", creditorUUID), ("type", typeName)]
        if let text = note.value(in: row) { fields.insert(("note", text), at: 1) }
        let amount = writeOffAmount.value(in: row)
        if Self.writeOffTypes.contains(typeName) {
            guard let amount else {
                return .failure(RowIssue(.missingField, field: writeOffAmount?.field ?? "writeOffAmount", "\(Self.name): a \(typeName) note needs a writeOffAmount"))
            }
            guard amount.wholeMatch(of: #/[0-9]{1,12}(\.[0-9]{1,2})?/#) != nil, amount.contains(where: { $0 != "0" && $0 != "." }) else {
                return .failure(RowIssue(.invalidAmount, field: writeOffAmount?.field ?? "writeOffAmount", "\(Self.name): writeOffAmount must be an amount above zero like 1234 or 1234.50, found \"\(amount)\""))
            }
            fields.append(("writeOffAmount", amount))
        } else if amount != nil {
            return .failure(RowIssue(.invalidField, field: writeOffAmount?.field ?? "writeOffAmount", "\(Self.name): writeOffAmount applies only to WRITE_OFF and NO_BUY notes, not \(typeName)"))
        }
        if let dateText = createdDate.value(in: row) {
            guard let created = Self.createdDateText(dateText) else {
                return .failure(RowIssue(.invalidDate, field: createdDate?.field ?? "createdDate", "\(Self.name): createdDate must be like 2015-09-21 19:10:00 (24-hour), found \"\(dateText)\""))
            }
            guard created.date <= now() else {
                return .failure(RowIssue(.invalidDate, field: createdDate?.field ?? "createdDate", "\(Self.name): createdDate \(created.text) is in the future: it only back-dates a note"))
            }
            fields.append(("createdDate", created.text))
        }
        return .success((debtorUUID.lowercased(), fields))
    }

    public func check(_ row: NormalizedRow) -> RowIssue? {
        if case let .failure(issue)? = form(row) { return issue }
        return nil
    }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        guard case let .success(form)? = form(row) else { return [] }
        let call = APICall(method: "POST", endpoint: Self.name, path: "/api/debtors/\(form.debtor)/notes.json", body: .strings(form.fields),
                           filenumber: row.filenumber, idempotent: false, service: .factorsNetwork)
        let typeName = form.fields.first { $0.0 == "type" }!.1
        return [PlannedCall(call: call, effect: .none, summary: "\(Self.name) \(typeName) debtor \(form.debtor)")]
    }
}
