/// `PUT /updatedbase`: one field per call, as documented. Sends a field only when its
/// normalised value differs from what the account holds. The file's value went through the
/// field's normaliser with the file's options; the account's is read in the server's styles
/// (`ServerValues.reader`: `3/6/2013` is 6 March even when the file is `day_first`), so
/// `10/18/1965` in Scollect equals `1965-10-18` from the file.
///
/// Per field, `overwrite` (the default) or `keep`: a kept field is only filled when the account
/// has no value (null, blank, "null", `000-00-0000`, `0000-00-00 00:00:00`, a 1900 / 1899
/// sentinel date), never changed once set. A phone
/// field (`cellphone`, `workphone`…) whose current number has a protected status is left alone.
///
/// ```yaml
/// writers:
///   - updatedbase:
///       fields: [firstname, lastname, address]   # default: every mapped dbase field
///       keep: [birthdate, socialsecuritynumber]   # fill when empty, never overwrite
/// ```
public struct UpdateDbaseWriter: APIWriter {
    public static let name = "updatedbase"
    public static let spec = ComponentSpec(.writer, name,
        summary: "PUT /updatedbase: one call per dbase field whose normalised value differs from the account's.",
        options: [
            OptionSpec("fields", .list, default: "every mapped dbase field no other writer consumes", help: "The dbase fields it updates.", example: "[firstname, lastname, address]"),
            OptionSpec("keep", .list, default: "[]", help: "Fields filled only when the account has no value, never overwritten.", example: "[birthdate, socialsecuritynumber]"),
        ],
        example: "writers:\n  - updatedbase:\n      fields: [firstname, lastname, address]\n      keep: [birthdate]")

    public let fields: [String]
    /// Fields filled only when the account has no value.
    public let keptFields: Set<String>
    /// How the account's value of each normalised field is read (the server's styles).
    let serverReaders: [String: any Normalizer]
    let protection: PipelineConfig.Protection
    /// Fields holding a phone number, checked against the phones' statuses.
    let phoneFields: Set<String>

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        serverReaders = context.normalizers.mapValues { ServerValues.reader(for: $0) }
        protection = context.protection
        fields = try FieldListOption(writer: Self.name, known: DbaseFields.all.sorted(), kind: "a dbase field",
                                     refusal: { DbaseFields.readOnly.contains($0) ? "identifies the account and cannot be updated" : nil })
            .fields(options, context: context, otherWriterFields: otherWriterFields)
        var kept = Set<String>()
        if let list = options["keep"] {
            for (index, item) in try list.list().enumerated() {
                let field = try item.string()
                let here = ConfigNode(node: item.node, file: item.file, path: "\(list.path)[\(index)]")
                guard fields.contains(field) else {
                    let hint = closestMatch(to: field, in: fields).map { " — did you mean \"\($0)\"?" } ?? ""
                    throw here.error("updatedbase.keep: \"\(field)\" is not a field this writer updates\(hint)")
                }
                kept.insert(field)
            }
        }
        keptFields = kept
        phoneFields = Set(fields.filter { field in context.normalizers[field].map { type(of: $0).name == PhoneNormalizer.name } ?? false })
    }

    public var consumedFields: Set<String> { Set(fields) }
    public var comparedFields: Set<String> { Set(fields) }
    /// Phones are read too when a phone field could hold a protected number.
    public var readsFromPortfolioListing: Bool { true }
    public var reads: Set<AccountRead> {
        phoneFields.isEmpty || protection.phoneStatuses.isEmpty ? [.account] : [.account, .phones]
    }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        var calls: [PlannedCall] = []
        for field in fields {
            guard let news = row[field] else { continue } // blank cell: no news
            let currentValue = current.fields[field] ?? nil
            if keptFields.contains(field), !AccountSnapshot.isEmptyValue(currentValue) { continue }
            if phoneFields.contains(field), let currentValue, protection.protectsPhone(status: current.phoneStatus[currentValue.filter(\.isNumber)]) {
                continue // a do-not-call (or other protected) number stays where it is
            }
            let newValue: String
            switch news {
            case .clear:
                if AccountSnapshot.isEmptyValue(currentValue) { continue }
                newValue = ""
            case let .value(value):
                if isSame(value, currentValue, field: field) { continue }
                newValue = value
            }
            let body = JSONValue.strings([("filenumber", row.filenumber), ("fieldname", field), ("fieldvalue", newValue)])
            let call = APICall(method: "PUT", endpoint: Self.name, path: "/updatedbase", body: body,
                               filenumber: row.filenumber, idempotent: true)
            calls.append(PlannedCall(call: call, effect: .setField(field, newValue), summary: "updatedbase \(field)"))
        }
        return calls
    }

    /// Same value once the current one is read in the server's styles.
    func isSame(_ newValue: String, _ currentValue: String?, field: String) -> Bool {
        FieldComparison.same(newValue, currentValue, serverReader: serverReaders[field])
    }
}
