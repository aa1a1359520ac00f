/// `PUT /updatepermissions`: one permission field per call, as documented. The mapping names
/// the permission fields (`cantext: Can Text`); each value is checked against the field's data
/// type before any call. There is no read for most permission fields, so a value is sent
/// whenever the row has one (the call is idempotent). A clear marker empties a text or date
/// field; the other types have no empty value, so clearing one rejects the row.
///
/// ```yaml
/// writers:
///   - updatepermissions:
///       fields: [cantext, canemail, dateofnotice]   # default: every mapped permission field
/// ```
public struct UpdatePermissionsWriter: APIWriter {
    public static let name = "updatepermissions"
    public static let spec = ComponentSpec(.writer, name,
        summary: "PUT /updatepermissions: one call per permission field the row has, each value checked against its type.",
        options: [
            OptionSpec("fields", .list, default: "every mapped permission field", help: "The permission fields it updates.", example: "[cantext, canemail, dateofnotice]"),
        ],
        example: "writers:\n  - updatepermissions:\n      fields: [cantext, canemail]")

    public let fields: [String]

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        fields = try FieldListOption(writer: Self.name, known: PermissionFields.names, kind: "one of the Valid Account Permission Fields")
            .fields(options, context: context, otherWriterFields: otherWriterFields)
        guard !fields.isEmpty else { throw options.node.error("\(Self.name): no permission field is mapped (valid: \(PermissionFields.names.joined(separator: ", ")))") }
    }

    public var consumedFields: Set<String> { Set(fields) }
    public var reads: Set<AccountRead> { [.account] }

    /// The value to send for a field, nil when the row has no news for it.
    func sendable(_ field: String, in row: NormalizedRow) -> Result<String, RowIssue>? {
        guard let news = row[field], let type = PermissionFields.types[field] else { return nil }
        switch news {
        case .clear:
            guard type == .text || type == .date else {
                return .failure(RowIssue(.invalidPermissionValue, field: field, "\(Self.name): \(field) (\(type.rawValue)) cannot be cleared"))
            }
            return .success("")
        case let .value(value):
            guard let sent = PermissionFields.sendable(value, as: type) else {
                return .failure(RowIssue(.invalidPermissionValue, field: field, "\(Self.name): \(field) must be \(type.rawValue), found \"\(value)\""))
            }
            return .success(sent)
        }
    }

    public func check(_ row: NormalizedRow) -> RowIssue? {
        for field in fields { if case let .failure(issue)? = sendable(field, in: row) { return issue } }
        return nil
    }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        fields.compactMap { field in
            guard case let .success(value)? = sendable(field, in: row) else { return nil }
            let body = JSONValue.strings([("filenumber", row.filenumber), ("fieldname", field), ("fieldvalue", value)])
            let call = APICall(method: "PUT", endpoint: Self.name, path: "/updatepermissions", body: body,
                               filenumber: row.filenumber, idempotent: true)
            return PlannedCall(call: call, effect: .none, summary: "\(Self.name) \(field) \(value.isEmpty ? "cleared" : value)")
        }
    }
}
