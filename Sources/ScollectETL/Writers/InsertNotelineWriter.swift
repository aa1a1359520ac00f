/// `POST /InsertNoteline`: adds a note (log line) to the account. Either the row's own note
/// (`logmessage: { field: … }`), or — with `summary_of_changes: true` — one note listing what
/// the writers before it changed for the row (`updatedbase`, `insertphone`, `updatephone` …),
/// with the row's note, if any, in front. A summary with nothing to summarise writes nothing.
/// Not idempotent (a resend adds the note twice): never re-sent once it may have reached the
/// server.
///
/// ```yaml
/// writers:
///   - updatedbase:
///   - InsertNoteline:
///       collectorname: LOADER            # or { field: collector }
///       logmessage: { field: note }      # optional with summary_of_changes
///       summary_of_changes: true
///       title: "|ACCOUNT MAINTENANCE|"   # first line of a summary (this default)
/// ```
public struct InsertNotelineWriter: APIWriter {
    public static let name = "InsertNoteline"
    public static let spec = ComponentSpec(.writer, name,
        summary: "POST /InsertNoteline: the row's note, or a note summarising what the writers before it changed.",
        options: [
            OptionSpec("collectorname", .value(WriterValue.typeName), required: true, help: "The collector the note is written as.", example: "LOADER"),
            OptionSpec("logmessage", .value(WriterValue.typeName), help: "The note; optional with summary_of_changes.", example: "{ field: note }"),
            OptionSpec("summary_of_changes", .boolean, default: "false", help: "One note listing what the writers before it changed for the row.", example: "true"),
            OptionSpec("title", .string, default: "|ACCOUNT MAINTENANCE|", help: "The first line of a summary note.", example: "\"|ACCOUNT MAINTENANCE|\""),
        ],
        example: "writers:\n  - InsertNoteline:\n      collectorname: LOADER\n      logmessage: { field: note }\n      summary_of_changes: true")

    let collector: WriterValue
    let message: WriterValue?
    let summaryOfChanges: Bool
    let title: String

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        collector = try WriterValue.read(options.required("collectorname"), writer: Self.name, context: context)
        if case let .literal(text) = collector, text.trimmingCharacters(in: .whitespaces).isEmpty {
            throw options.node.error("\(Self.name): collectorname cannot be blank")
        }
        message = try WriterValue.read(options, "logmessage", writer: Self.name, context: context)
        summaryOfChanges = try options["summary_of_changes"]?.bool() ?? false
        title = try options["title"]?.string() ?? "|ACCOUNT MAINTENANCE|"
        guard message != nil || summaryOfChanges else {
            throw options.node.error("\(Self.name) needs logmessage, or summary_of_changes: true")
        }
    }

    public var consumedFields: Set<String> { Set([collector.field, message?.field].compactMap { $0 }) }
    public var reads: Set<AccountRead> { [.account] }

    public func check(_ row: NormalizedRow) -> RowIssue? {
        guard collector.value(in: row) == nil else { return nil }
        // Only a row that would write a note needs a collector.
        if summaryOfChanges || message.value(in: row) != nil {
            return RowIssue(.missingField, field: collector.field ?? "collectorname", "\(Self.name): collectorname is blank")
        }
        return nil
    }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        plan(row, current: current, earlier: [])
    }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot, earlier: [PlannedCall]) -> [PlannedCall] {
        guard let collectorName = collector.value(in: row) else { return [] }
        var lines: [String] = []
        if summaryOfChanges {
            let changes = earlier.compactMap { InsertNotelineWriter.describe($0, current: current) }
            guard !changes.isEmpty else { return [] } // nothing changed: nothing to say
            if let own = message.value(in: row) { lines.append(own) }
            lines = [title] + lines + changes
        } else {
            guard let own = message.value(in: row) else { return [] }
            lines = [own]
        }
        let text = lines.joined(separator: "\r\n")
        let body = JSONValue.strings([("filenumber", row.filenumber), ("collectorname", collectorName), ("logmessage", text)])
        let call = APICall(method: "POST", endpoint: Self.name, path: "/InsertNoteline", body: body,
                           filenumber: row.filenumber, idempotent: false)
        return [PlannedCall(call: call, effect: .none, summary: "\(Self.name) (\(lines.count) line\(lines.count == 1 ? "" : "s"))")]
    }

    /// One line of the summary, in the style of Scollect's own notes (`First Name from A to B`);
    /// nil for calls that are not changes of the account (another note, a Factors Network note).
    static func describe(_ planned: PlannedCall, current: AccountSnapshot) -> String? {
        guard planned.call.service == .scollect, planned.call.endpoint != name else { return nil }
        switch planned.effect {
        case let .setField(field, value):
            let before = (current.fields[field] ?? nil) ?? ""
            return "\(field) from \(Masking.maskValue(before, forField: field)) to \(Masking.maskValue(value, forField: field))"
        default:
            return Masking.maskValue(planned.summary, forField: "")
        }
    }
}
