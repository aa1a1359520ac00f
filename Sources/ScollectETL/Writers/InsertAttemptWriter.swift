/// `POST /insertattempt`: records a contact attempt (phone, outcome, agent, type). A row has an
/// attempt when its phone number or its outcome (`dispo`) has a value — an agent alone is no
/// attempt (the column may serve a callback too); a row with an attempt but a blank value is
/// rejected before any call. Not idempotent (a resend records the attempt twice).
///
/// ```yaml
/// writers:
///   - insertattempt:
///       phonenumber: { field: attempt_phone }   # normalised as a phone: ###-###-####
///       dispo: { field: attempt_result }        # e.g. SPOKE TO DEBTOR
///       agent: { field: attempt_agent }         # or a literal
///       type: MANUAL                            # the default
/// ```
public struct InsertAttemptWriter: APIWriter {
    public static let name = "insertattempt"
    public static let spec = ComponentSpec(.writer, name,
        summary: "POST /insertattempt: records a contact attempt when the row has a phone number or an outcome.",
        options: [
            OptionSpec("phonenumber", .value(WriterValue.typeName), required: true, help: "The number called (normalised as a phone).", example: "{ field: attempt_phone }"),
            OptionSpec("dispo", .value(WriterValue.typeName), required: true, help: "The outcome, e.g. SPOKE TO DEBTOR.", example: "{ field: attempt_result }"),
            OptionSpec("agent", .value(WriterValue.typeName), required: true, help: "The agent.", example: "{ field: attempt_agent }"),
            OptionSpec("type", .value(WriterValue.typeName), default: "MANUAL", help: "The attempt type.", example: "MANUAL"),
        ],
        example: "writers:\n  - insertattempt:\n      phonenumber: { field: attempt_phone }\n      dispo: { field: attempt_result }\n      agent: { field: attempt_agent }")

    /// Body key → where its value comes from, in the document's order.
    let values: [(key: String, source: WriterValue)]

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        var values: [(String, WriterValue)] = []
        for key in ["phonenumber", "dispo", "agent"] {
            values.append((key, try WriterValue.read(options.required(key), writer: Self.name, context: context)))
        }
        values.append(("type", try WriterValue.read(options, "type", writer: Self.name, context: context) ?? .literal("MANUAL")))
        guard values[0].1.field != nil || values[1].1.field != nil else {
            throw options.node.error("\(Self.name): phonenumber or dispo must come from a mapped field ({ field: … }): a literal attempt would be recorded for every row")
        }
        self.values = values
    }

    public var consumedFields: Set<String> { Set(values.compactMap(\.source.field)) }
    public var reads: Set<AccountRead> { [.account] }

    /// The body, nil when the row has no attempt; a problem when it has half of one.
    func body(_ row: NormalizedRow) -> Result<[(String, String)], RowIssue>? {
        let given = values.map { ($0.key, $0.source.value(in: row)) }
        // The row has an attempt when its phone or outcome, taken from the row, has a value.
        guard values[0...1].contains(where: { $0.source.field != nil && $0.source.value(in: row) != nil }) else { return nil }
        if let missing = given.first(where: { $0.1 == nil }) {
            let field = values.first { $0.key == missing.0 }!.source.field ?? missing.0
            return .failure(RowIssue(.missingField, field: field, "\(Self.name): \(missing.0) is blank, and an attempt needs phonenumber, dispo, agent and type"))
        }
        let phone = given[0].1!
        guard ValueFormats.isPhone(phone) else {
            return .failure(RowIssue(.invalidPhone, field: values[0].source.field ?? "phonenumber", "\(Self.name): phonenumber must be ###-###-####, found \"\(phone)\""))
        }
        return .success([("phonenumber", phone), ("dispo", given[1].1!.uppercased()), ("agent", given[2].1!),
                         ("type", given[3].1!.uppercased()), ("filenumber", row.filenumber)])
    }

    public func check(_ row: NormalizedRow) -> RowIssue? {
        if case let .failure(issue)? = body(row) { return issue }
        return nil
    }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        guard case let .success(pairs)? = body(row) else { return [] }
        let call = APICall(method: "POST", endpoint: Self.name, path: "/insertattempt", body: .strings(pairs),
                           filenumber: row.filenumber, idempotent: false)
        return [PlannedCall(call: call, effect: .none, summary: "\(Self.name) \(pairs[0].1) \(pairs[1].1)")]
    }
}
