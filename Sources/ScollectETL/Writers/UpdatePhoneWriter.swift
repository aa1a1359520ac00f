/// `PUT /updatephone`: changes the type and/or status of phones the account has. Never touches
/// a phone whose current status the pipeline protects (`protect: phone_statuses:`), and sends
/// nothing for a phone that already has the type and status asked (compared ignoring case:
/// the API shows `Good Number`, `Disconnected`). Values are sent as configured; when only one
/// of type and status is given, the other is sent as the phone has it now (`UNKNOWN` when it
/// has none), which serves both readings of the document (absent = keep, absent = reset). A row is checked before any
/// call: the number `###-###-####`, and at least one of type and status (the document's error
/// "You need to provide at least one field to update").
///
/// ```yaml
/// writers:
///   - updatephone:
///       phones:
///         - { field: phone, type: { field: phone_type }, status: { field: phone_status } }
///         - { field: cell_phone, status: WRONG NUMBER }     # literals apply to every row
/// ```
public struct UpdatePhoneWriter: APIWriter {
    public static let name = "updatephone"
    public static let spec = ComponentSpec(.writer, name,
        summary: "PUT /updatephone: changes the type and/or status of the account's phones (never a protected one).",
        options: [
            OptionSpec("phones", .sections, required: true, help: "One { field, type, status } per phone column; type and status are text or { field: column }.", example: "[{ field: phone, status: { field: phone_status } }]"),
        ],
        example: "writers:\n  - updatephone:\n      phones:\n        - { field: phone, type: { field: phone_type }, status: { field: phone_status } }")

    public struct PhoneUpdate: Sendable {
        public let field: String
        let type: WriterValue?
        let status: WriterValue?
    }

    public let phones: [PhoneUpdate]
    let protection: PipelineConfig.Protection

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        var phones: [PhoneUpdate] = []
        for item in try options.required("phones").list() {
            let entry = try item.section(allowedKeys: ["field", "type", "status"])
            let fieldNode = try entry.required("field")
            let field = try fieldNode.string()
            guard context.mappedFields.contains(field) else {
                throw fieldNode.error("\(Self.name): \"\(field)\" is not in the mapping; map it to a source column first")
            }
            let type = try WriterValue.read(entry, "type", writer: Self.name, context: context)
            let status = try WriterValue.read(entry, "status", writer: Self.name, context: context)
            guard type != nil || status != nil else { throw item.error("\(Self.name): \"\(field)\" needs type, status or both") }
            phones.append(PhoneUpdate(field: field, type: type, status: status))
        }
        self.phones = phones
        protection = context.protection
    }

    public var consumedFields: Set<String> {
        Set(phones.flatMap { [$0.field, $0.type?.field, $0.status?.field].compactMap { $0 } })
    }
    public var reads: Set<AccountRead> { [.account, .phones] }

    public func check(_ row: NormalizedRow) -> RowIssue? {
        for phone in phones {
            let type = phone.type.value(in: row), status = phone.status.value(in: row)
            guard case let .value(number)? = row[phone.field] else {
                if type != nil && phone.type?.field != nil || status != nil && phone.status?.field != nil {
                    return RowIssue(.missingField, field: phone.field, "\(Self.name): a phone type or status without a phone number")
                }
                continue
            }
            guard ValueFormats.isPhone(number) else {
                return RowIssue(.invalidPhone, field: phone.field, "\(Self.name): the phone number must be ###-###-####, found \"\(number)\"")
            }
            guard type != nil || status != nil else {
                return RowIssue(.missingField, field: phone.status?.field ?? phone.type?.field ?? phone.field,
                                "\(Self.name): \(number) has neither a type nor a status to set (at least one is needed)")
            }
        }
        return nil
    }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        var calls: [PlannedCall] = []
        for phone in phones {
            guard case let .value(number)? = row[phone.field], ValueFormats.isPhone(number) else { continue }
            let type = phone.type.value(in: row), status = phone.status.value(in: row)
            guard type != nil || status != nil else { continue }
            let digits = number.filter(\.isNumber)
            // A protected phone (do-not-call, revoked consent…) is never changed by a load.
            if protection.protectsPhone(status: current.phoneStatus[digits]) { continue }
            let currentType = Self.label(current.phoneType[digits]), currentStatus = Self.label(current.phoneStatus[digits])
            let typeChanges = type.map { !Self.sameLabel($0, currentType) } ?? false
            let statusChanges = status.map { !Self.sameLabel($0, currentStatus) } ?? false
            guard typeChanges || statusChanges else { continue }
            // Both are sent: the one not asked for as the phone has it now (UNKNOWN when it has none),
            // so a server that resets an absent one and a server that keeps it end the same.
            let sentType = type ?? currentType ?? "UNKNOWN", sentStatus = status ?? currentStatus ?? "UNKNOWN"
            let pairs = [("filenumber", row.filenumber), ("phonenumber", number), ("phonetype", sentType), ("phonestatus", sentStatus)]
            let call = APICall(method: "PUT", endpoint: Self.name, path: "/updatephone", body: .strings(pairs),
                               filenumber: row.filenumber, idempotent: true)
            let what = [type.map { "type \($0)" }, status.map { "status \($0)" }].compactMap { $0 }.joined(separator: ", ")
            calls.append(PlannedCall(call: call, effect: .setPhone(digits: digits, type: sentType, status: sentStatus),
                                     summary: "\(Self.name) \(number) \(what)"))
        }
        return calls
    }

    /// A phone's type or status as the account holds it, nil when it has none.
    static func label(_ value: String?) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty || trimmed.lowercased() == "null" ? nil : trimmed
    }

    /// `Good Number` = `GOOD NUMBER` = `good-number`: the API shows them in mixed case.
    static func sameLabel(_ asked: String, _ current: String?) -> Bool {
        guard let current else { return false }
        return PipelineConfig.Protection.canonical(asked) == PipelineConfig.Protection.canonical(current)
    }
}
