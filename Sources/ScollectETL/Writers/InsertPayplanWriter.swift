import Crypto
import Foundation

/// `POST /insert_payplan_external`: books a schedule of payments for one account in one call
/// (`paymentdata`: a list of date + amount). Journaled like single payments, keyed by account
/// and schedule. The schedule comes from the rows of one account (one installment per row,
/// rows of an account together in the file) or from a field holding a JSON list.
///
/// ```yaml
/// writers:
///   - insert_payplan_external:
///       schedule: rows              # or: { field: paymentdata } — a JSON list [{"paymentdate":…, "paymentamount":…}]
///       reference: invoice
///       defaults: { paymentstatus: PENDING }
/// ```
/// Every other field must agree across an account's rows: they describe one plan.
public struct InsertPayplanWriter: APIWriter {
    public static let name = "insert_payplan_external"
    public static let spec = ComponentSpec(.writer, name,
        summary: "POST /insert_payplan_external: a schedule of payments for one account in one call, journaled.",
        options: [
            OptionSpec("schedule", .value("rows, or { field: column }"), default: "rows", help: "rows: one installment per row of an account; { field: … }: a field holding a JSON list.", example: "{ field: paymentdata }"),
            OptionSpec("reference", .string, default: "invoice", help: "The mapped field holding the client's reference; none turns the duplicate check off.", example: "invoice"),
            OptionSpec("defaults", .section, default: "acceptedfees: 0, printed: false", help: "Values of payment fields the file does not carry.", example: "{ paymentstatus: PENDING }"),
        ],
        example: "writers:\n  - insert_payplan_external:\n      schedule: rows\n      reference: invoice\n      defaults: { paymentstatus: PENDING }")

    let fields: PaymentFields
    let reference: String?
    /// The mapped field holding the schedule as JSON; nil: one installment per row.
    let scheduleField: String?

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        fields = try PaymentFields(options: options, context: context, writerName: Self.name)
        reference = try PaymentWriterOptions.reference(options, writerName: Self.name)
        if let node = options["schedule"] {
            if case .scalar = node.node {
                _ = try node.oneOf(["rows"])
                scheduleField = nil
            } else {
                let section = try node.section(allowedKeys: ["field"])
                let fieldNode = try section.required("field")
                let field = try fieldNode.string()
                guard context.mappedFields.contains(field) else {
                    throw fieldNode.error("\(Self.name): schedule field \"\(field)\" is not in the mapping")
                }
                scheduleField = field
            }
        } else {
            scheduleField = nil
        }
    }

    public var consumedFields: Set<String> { Set(PaymentFields.all + [scheduleField].compactMap { $0 }) }
    public var reads: Set<AccountRead> { [.payments] }
    public var plansWholeAccount: Bool { scheduleField == nil }

    public func check(_ row: NormalizedRow) -> RowIssue? {
        if case let .failure(issue) = fields.build(row) { return issue }
        if let scheduleField, case let .failure(issue) = schedule(fromField: scheduleField, of: row) { return issue }
        return nil
    }

    /// Schedule in a field: one plan per row.
    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        guard let scheduleField, case let .success(body) = fields.build(row),
              case let .success(items) = schedule(fromField: scheduleField, of: row) else { return [] }
        return [call(body: body, items: items, firstRow: row.row, row: row)]
    }

    /// Schedule in rows: one plan from all the rows of an account, in file order.
    public func planAccount(_ rows: [NormalizedRow], current: AccountSnapshot) -> Result<[PlannedCall], RowIssue> {
        guard scheduleField == nil else { return .success(rows.flatMap { plan($0, current: current) }) }
        var items: [PaymentKey] = []
        var first: [(String, String)]?
        for row in rows {
            guard case let .success(body) = fields.build(row),
                  let item = PaymentKey(date: PaymentFields.lookup("paymentdate", in: body), amount: PaymentFields.lookup("paymentamount", in: body))
            else { continue }
            items.append(item)
            if let first {
                for (index, (field, value)) in body.enumerated() where !["paymentdate", "paymentamount"].contains(field) && first[index].1 != value {
                    let shown = ["cardnumber", "threedigitnumber", "checkaccountnumber"].contains(field) ? "" : " (\"\(first[index].1)\" vs \"\(value)\")"
                    return .failure(RowIssue(.planRowsDisagree, field: field,
                                             "the rows of account \(row.filenumber)'s plan disagree on \(field)\(shown): rows \(rows.map { String($0.row) }.joined(separator: ", "))"))
                }
            } else {
                first = body
            }
        }
        guard let first, !items.isEmpty else { return .success([]) }
        return .success([call(body: first, items: items, firstRow: rows[0].row, row: rows[0])])
    }

    func call(body: [(String, String)], items: [PaymentKey], firstRow: Int, row: NormalizedRow) -> PlannedCall {
        // The document's example still carries a top-level date and amount beside the list:
        // send the first installment's, which a server that wants them will accept.
        var pairs: [(String, JSONValue)] = body.map { ($0.0, .string($0.1)) }
        for (index, pair) in pairs.enumerated() {
            if pair.0 == "paymentdate" { pairs[index].1 = .string(items[0].date) }
            if pair.0 == "paymentamount" { pairs[index].1 = .string(items[0].amount) }
        }
        pairs.append(("paymentdata", .array(items.map { .object([("paymentamount", .string($0.amount)), ("paymentdate", .string($0.date))]) })))
        let call = APICall(method: "POST", endpoint: Self.name, path: "/insert_payplan_external", body: .object(pairs),
                           filenumber: row.filenumber, idempotent: false)
        let digest = SHA256.hash(data: Data(items.map(\.description).joined(separator: ",").utf8))
            .prefix(8).map { String(format: "%02x", $0) }.joined()
        let ledger = LedgerIntent(key: "plan:\(row.filenumber):\(digest)", sourceRow: firstRow,
                                  reference: PaymentFields.reference(reference, in: body, row: row), items: items)
        let total = PaymentKey(date: items[0].date, cents: items.reduce(0) { $0 + $1.cents })
        return PlannedCall(call: call, effect: .addPayments(items),
                           summary: "\(Self.name) \(items.count) payments from \(items[0].date), total \(total.amount)", ledger: ledger)
    }

    /// `[{"paymentdate": "9/1/2025", "paymentamount": "$1.00"}, …]`, each value normalised.
    func schedule(fromField field: String, of row: NormalizedRow) -> Result<[PaymentKey], RowIssue> {
        guard case let .value(text)? = row[field] else {
            return .failure(RowIssue(.missingField, field: field, "\(field) is empty: a plan needs its schedule"))
        }
        guard let list = JSONValue.parse(Data(text.utf8))?.arrayValue, !list.isEmpty else {
            return .failure(RowIssue(.invalidField, field: field, "\(field) must be a JSON list of {\"paymentdate\", \"paymentamount\"}"))
        }
        var items: [PaymentKey] = []
        for (index, entry) in list.enumerated() {
            guard let dateText = entry["paymentdate"]?.stringValue, let amountText = entry["paymentamount"]?.stringValue,
                  case let .value(date, _) = DateNormalizer().normalize(dateText),
                  case let .value(amount, _) = MoneyNormalizer().normalize(amountText),
                  let item = PaymentKey(date: date, amount: amount)
            else {
                return .failure(RowIssue(.invalidField, field: field, "\(field) item \(index + 1) needs a paymentdate and a paymentamount"))
            }
            guard item.cents > 0 else { return .failure(RowIssue(.invalidAmount, field: field, "\(field) item \(index + 1): amount must be above zero")) }
            items.append(item)
        }
        return .success(items)
    }
}
