/// `POST /insertphone`: adds each phone column's number to the account unless the account
/// already has it. Not idempotent (a resend adds the phone twice), so it is never retried once
/// the request may have reached the server.
///
/// ```yaml
/// writers:
///   - insertphone:
///       phones:
///         - { field: home_phone, type: HOME }
///         - { field: cell_phone, type: CELL }
///       status: UNKNOWN      # phonestatus sent with every number (default UNKNOWN)
///       source: LOAD         # default LOAD
/// ```
public struct InsertPhoneWriter: APIWriter {
    public static let name = "insertphone"
    public static let spec = ComponentSpec(.writer, name,
        summary: "POST /insertphone: adds each phone column's number unless the account has it (not idempotent: never re-sent).",
        options: [
            OptionSpec("phones", .sections, required: true, help: "One { field, type } per phone column; the field normalised as a phone, type defaults to UNKNOWN.", example: "[{ field: home_phone, type: HOME }]"),
            OptionSpec("status", .string, default: "UNKNOWN", help: "The phonestatus sent with every number.", example: "UNKNOWN"),
            OptionSpec("source", .string, default: "LOAD", help: "The source sent with every number.", example: "LOAD"),
        ],
        example: "writers:\n  - insertphone:\n      phones:\n        - { field: home_phone, type: HOME }\n        - { field: cell_phone, type: CELL }")

    public struct PhoneColumn: Sendable {
        public let field: String
        public let type: String
    }

    public let phones: [PhoneColumn]
    public let status: String
    public let source: String

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        var columns: [PhoneColumn] = []
        for item in try options.required("phones").list() {
            let entry = try item.section(allowedKeys: ["field", "type"])
            let fieldNode = try entry.required("field")
            let field = try fieldNode.string()
            guard context.mappedFields.contains(field) else {
                throw fieldNode.error("insertphone: \"\(field)\" is not in the mapping; map it to a source column first")
            }
            guard let normalizer = context.normalizers[field], type(of: normalizer).name == PhoneNormalizer.name else {
                throw fieldNode.error("insertphone: \"\(field)\" must be normalised as a phone (add \"\(field): phone\" under normalize)")
            }
            columns.append(PhoneColumn(field: field, type: try entry["type"]?.string() ?? "UNKNOWN"))
        }
        phones = columns
        status = try options["status"]?.string() ?? "UNKNOWN"
        source = try options["source"]?.string() ?? "LOAD"
    }

    public var consumedFields: Set<String> { Set(phones.map(\.field)) }
    public var readsFromPortfolioListing: Bool { true }
    public var reads: Set<AccountRead> { [.account, .phones] }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        var calls: [PlannedCall] = []
        var planned = Set<String>()
        for phone in phones {
            // A clear marker cannot delete a phone through insertphone: nothing to send.
            guard case let .value(number)? = row[phone.field] else { continue }
            let digits = number.filter(\.isNumber)
            guard !current.phoneDigits.contains(digits), planned.insert(digits).inserted else { continue }
            let body = JSONValue.strings([("filenumber", row.filenumber), ("phonenumber", number), ("phonetype", phone.type),
                                          ("phonestatus", status), ("source", source)])
            let call = APICall(method: "POST", endpoint: Self.name, path: "/insertphone", body: body,
                               filenumber: row.filenumber, idempotent: false)
            calls.append(PlannedCall(call: call, effect: .addPhone(digits: digits), summary: "insertphone \(number)"))
        }
        return calls
    }
}
