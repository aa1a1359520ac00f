/// `POST /insert_payments_external`: books one payment per row. Not idempotent — a resend
/// books the money twice — so every call goes through the run journal: recorded before it is
/// sent, skipped when an earlier run booked it, reconciled against `getpayments` when its
/// answer was lost, and refused when the client reference was already booked on the account.
///
/// ```yaml
/// writers:
///   - insert_payments_external:
///       reference: invoice         # the client's payment reference; "none" turns the duplicate check off
///       defaults:                  # for fields the file does not carry
///         paymentstatus: POSTED
///         typeofpayment: ACH
/// ```
public struct InsertPaymentWriter: APIWriter {
    public static let name = "insert_payments_external"
    public static let spec = ComponentSpec(.writer, name,
        summary: "POST /insert_payments_external: one payment per row, through the run journal (never booked twice).",
        options: [
            OptionSpec("reference", .string, default: "invoice", help: "The mapped field holding the client's payment reference; none turns the duplicate check off.", example: "invoice"),
            OptionSpec("defaults", .section, default: "acceptedfees: 0, printed: false", help: "Values of payment fields the file does not carry (never card or bank data).", example: "{ paymentstatus: POSTED, typeofpayment: ACH }"),
        ],
        example: "writers:\n  - insert_payments_external:\n      reference: invoice\n      defaults: { paymentstatus: POSTED }")

    let fields: PaymentFields
    /// The field holding the client's payment reference, nil when the check is off.
    let reference: String?

    public init(options: ConfigSection, context: WriterContext, otherWriterFields: Set<String>) throws {
        fields = try PaymentFields(options: options, context: context, writerName: Self.name)
        reference = try PaymentWriterOptions.reference(options, writerName: Self.name)
    }

    public var consumedFields: Set<String> { Set(PaymentFields.all) }
    public var reads: Set<AccountRead> { [.payments] }

    public func check(_ row: NormalizedRow) -> RowIssue? {
        if case let .failure(issue) = fields.build(row) { return issue }
        return nil
    }

    public func plan(_ row: NormalizedRow, current: AccountSnapshot) -> [PlannedCall] {
        guard case let .success(body) = fields.build(row),
              let item = PaymentKey(date: PaymentFields.lookup("paymentdate", in: body), amount: PaymentFields.lookup("paymentamount", in: body))
        else { return [] }
        let call = APICall(method: "POST", endpoint: Self.name, path: "/insert_payments_external", body: .strings(body),
                           filenumber: row.filenumber, idempotent: false)
        let ledger = LedgerIntent(key: "row:\(row.row)", sourceRow: row.row,
                                  reference: PaymentFields.reference(reference, in: body, row: row), items: [item])
        return [PlannedCall(call: call, effect: .addPayments([item]), summary: "\(Self.name) \(item.date) \(item.amount)", ledger: ledger)]
    }
}

/// Options the two payment writers share.
enum PaymentWriterOptions {
    /// `reference: invoice` (the default), another mapped field, or `none`.
    static func reference(_ options: ConfigSection, writerName: String) throws -> String? {
        guard let node = options["reference"] else { return "invoice" }
        let field = try node.string()
        if field == "none" { return nil }
        return field
    }
}
