/// `POST /createCallback`: schedules a callback for the account. A row whose callback date is
/// blank has no callback. The date must be a real day (yyyy-mm-dd, sent as both `Callbackdate`
/// and `Callbackdatemysql`, as the document shows), the time a clock time (`13:43`, `1:43 PM`;
/// sent as `1:43PM`). `Name` defaults to the account's first and last name. Not idempotent (a
/// resend schedules a second callback); the API has no read for callbacks.
///
/// ```yaml
/// writers:
///   - createCallback:
///       date: { field: callback_date }     # normalised as a date
///       time: { field: callback_time }
///       assignedto: { field: callback_agent }   # or a literal
///       name: { field: debtor_name }       # optional: default firstname lastname from getaccount
/// ```
public struct CreateCallbackWriter: APIWriter {
    public static let name = "createCallback"
    public static let spec = ComponentSpec(.writer, name,
        summary: "POST /createCallback: schedules a callback when the row has a callback date.",
        options: [
            OptionSpec("date", .value(WriterValue.typeName), required: true, help: "The callback day, from a field normalised as a date.", example: "{ field: callback_date }"),
            OptionSpec("time", .value(WriterValue.typeName), required: true, help: "A clock time (13:43, 1:43 PM).", example: "{ field: callback_time }"),
            OptionSpec("assignedto", .value(WriterValue.typeName), required: true, help: "The agent it is assigned to.", example: "{ field: callback_agent }"),
            OptionSpec("name", .value(WriterValue.typeName), default: "firstname lastname from getaccount", help: "The name on the callback.", example: "{ field: debtor_name }"),
        ],
        example: "writers:\n  - createCallback:\n      date: { field: callback_date }\n      time: { field: callback_time }\n      assignedto: { field: callback_agent }")

    let date: WriterValue
    let time: WriterValue
    let assignedTo: WriterValue
    let debtorName: WriterValue?

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        let dateNode = try options.required("date")
        date = try WriterValue.read(dateNode, writer: Self.name, context: context)
        guard date.field != nil else { throw dateNode.error("\(Self.name): date must come from a mapped field ({ field: … }): a callback is per account") }
        time = try WriterValue.read(options.required("time"), writer: Self.name, context: context)
        assignedTo = try WriterValue.read(options.required("assignedto"), writer: Self.name, context: context)
        debtorName = try WriterValue.read(options, "name", writer: Self.name, context: context)
    }

    public var consumedFields: Set<String> { Set([date.field, time.field, assignedTo.field, debtorName?.field].compactMap { $0 }) }
    public var reads: Set<AccountRead> { [.account] }
    /// The debtor's name, when the row has none.
    public var readFields: Set<String> { ["firstname", "lastname"] }

    /// `13:43`, `1:43PM`, `1:43 pm`, `01:43 PM` → `1:43PM`; nil when it is not a clock time.
    static func clockTime(_ text: String) -> String? {
        guard let match = text.trimmingCharacters(in: .whitespaces)
            .wholeMatch(of: #/([0-9]{1,2}):([0-9]{2})(?::[0-9]{2})?\s*([AaPp][Mm])?/#),
            var hour = Int(match.1), let minute = Int(match.2), minute < 60 else { return nil }
        if let half = match.3 {
            guard (1...12).contains(hour) else { return nil }
            if hour == 12 { hour = 0 }
            if half.uppercased() == "PM" { hour += 12 }
        }
        guard hour < 24 else { return nil }
        return "\(hour % 12 == 0 ? 12 : hour % 12):\(minute < 10 ? "0" : "")\(minute)\(hour < 12 ? "AM" : "PM")"
    }

    /// The date, time and assignee; nil when the row has no callback.
    func values(_ row: NormalizedRow) -> Result<(date: String, time: String, assignedTo: String), RowIssue>? {
        guard let day = date.value(in: row) else {
            if time.field != nil, time.value(in: row) != nil {
                return .failure(RowIssue(.missingField, field: date.field, "\(Self.name): a callback time without a date"))
            }
            return nil
        }
        guard ValueFormats.isDay(day) else {
            return .failure(RowIssue(.invalidDate, field: date.field, "\(Self.name): the callback date must be yyyy-mm-dd, found \"\(day)\""))
        }
        guard let timeText = time.value(in: row) else {
            return .failure(RowIssue(.missingField, field: time.field ?? "time", "\(Self.name): a callback on \(day) needs a time"))
        }
        guard let clock = CreateCallbackWriter.clockTime(timeText) else {
            return .failure(RowIssue(.invalidField, field: time.field ?? "time", "\(Self.name): the callback time must be like 13:45 or 1:45 PM, found \"\(timeText)\""))
        }
        guard let agent = assignedTo.value(in: row) else {
            return .failure(RowIssue(.missingField, field: assignedTo.field ?? "assignedto", "\(Self.name): a callback needs someone it is assigned to"))
        }
        return .success((day, clock, agent))
    }

    public func check(_ row: NormalizedRow) -> RowIssue? {
        if case let .failure(issue)? = values(row) { return issue }
        return nil
    }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        guard case let .success(callback)? = values(row) else { return [] }
        let name = debtorName.value(in: row) ?? ["firstname", "lastname"]
            .compactMap { current.fields[$0] ?? nil }.filter { !AccountSnapshot.isEmptyValue($0) }.joined(separator: " ")
        let body = JSONValue.strings([("FileNumber", row.filenumber), ("Name", name), ("Assignedto", callback.assignedTo),
                                      ("Callbackdate", callback.date), ("Callbacktime", callback.time), ("Callbackdatemysql", callback.date)])
        let call = APICall(method: "POST", endpoint: Self.name, path: "/createCallback", body: body,
                           filenumber: row.filenumber, idempotent: false)
        return [PlannedCall(call: call, effect: .none, summary: "\(Self.name) \(callback.date) \(callback.time) \(callback.assignedTo)")]
    }
}
