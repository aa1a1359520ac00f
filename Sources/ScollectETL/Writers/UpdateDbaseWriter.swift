/// `PUT /updatedbase`: one field per call, as documented. Sends a field only when its
/// normalised value differs from what the account holds (compared through the same
/// normaliser, so `10/18/1965` in Scollect equals `1965-10-18` from the file).
///
/// ```yaml
/// writers:
///   - updatedbase:
///       fields: [firstname, lastname, address]   # default: every mapped dbase field
/// ```
public struct UpdateDbaseWriter: APIWriter {
    public static let name = "updatedbase"
    public static let optionKeys = ["fields"]

    public let fields: [String]
    let normalizers: [String: any Normalizer]

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        normalizers = context.normalizers
        if let list = options["fields"] {
            var chosen: [String] = []
            for (index, item) in try list.list().enumerated() {
                let field = try item.string()
                let here = ConfigNode(node: item.node, file: item.file, path: "\(list.path)[\(index)]")
                guard DbaseFields.all.contains(field) else {
                    let hint = closestMatch(to: field, in: Array(DbaseFields.all)).map { " — did you mean \"\($0)\"?" } ?? ""
                    throw here.error("updatedbase: \"\(field)\" is not a dbase field\(hint)")
                }
                guard !DbaseFields.readOnly.contains(field) else { throw here.error("updatedbase: \"\(field)\" identifies the account and cannot be updated") }
                guard context.mappedFields.contains(field) else { throw here.error("updatedbase: \"\(field)\" is not in the mapping; map it to a source column first") }
                chosen.append(field)
            }
            fields = chosen
        } else {
            fields = context.mappedFields.filter {
                DbaseFields.all.contains($0) && !DbaseFields.readOnly.contains($0) && !otherWriterFields.contains($0)
            }
        }
    }

    public var consumedFields: Set<String> { Set(fields) }
    public var reads: Set<AccountRead> { [.account] }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        var calls: [PlannedCall] = []
        for field in fields {
            guard let news = row[field] else { continue } // blank cell: no news
            let currentValue = current.fields[field] ?? nil
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

    /// Same value once the current one is put through the field's normaliser.
    func isSame(_ newValue: String, _ currentValue: String?, field: String) -> Bool {
        guard let currentValue else { return false }
        if let normalizer = normalizers[field], case let .value(normalized, _) = normalizer.normalize(currentValue) {
            return normalized == newValue
        }
        return currentValue.trimmingCharacters(in: .whitespaces) == newValue
    }
}
