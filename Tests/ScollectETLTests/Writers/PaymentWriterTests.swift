@testable import ScollectETL
import Testing

/// Payment rows are checked before any call, and their bodies carry every documented field.
struct PaymentWriterTests {
    static let pipeline = """
    source: { file: in.csv }
    mapping: { filenumber: A, paymentdate: B, paymentamount: C, payorname: D, paymentmethod: E, cardnumber: F,
               threedigitnumber: G, cardexpirationdate: H, cardexpirationmonth: I, cardexpirationyear: J,
               checkaccountnumber: K, checkroutingnumber: L, invoice: M, acceptedfees: N }
    normalize: { paymentdate: date, paymentamount: money }
    writers:
      - insert_payments_external:
          defaults: { paymentstatus: POSTED, typeofpayment: EXTERNAL }
    target: { url: sandbox, requests_per_second: 10 }
    reports: { folder: out }
    """

    static let card = "4111111111111111"

    func row(_ values: [String: String], number: Int = 7) -> NormalizedRow {
        var base = ["paymentdate": "2026-11-20", "paymentamount": "125.50", "payorname": "JOHN DOE", "paymentmethod": "CREDIT CARD"]
        base.merge(values) { $1 }
        return NormalizedRow(record: SourceRecord(row: number, line: number + 1, values: []), filenumber: "R1",
                             values: base.filter { !$0.value.isEmpty }.mapValues { .value($0) }, warnings: [])
    }

    func writer() throws -> any APIWriter {
        try PipelineLoader.parse(Self.pipeline, file: "p.yml").writers[0]
    }

    @Test func aCardPaymentSendsEveryFieldWithTheExpiryAsMMYYYY() throws {
        let writer = try writer()
        let payment = row(["cardnumber": "4111 1111 1111 1111", "threedigitnumber": "123", "cardexpirationdate": "3/28", "invoice": "INV-1"])
        #expect(writer.check(payment) == nil)
        let calls = writer.plan(payment, current: AccountSnapshot(paymentCounts: [:]))
        #expect(calls.count == 1)
        let body = try #require(calls[0].call.body)
        #expect(body.objectValue?.map(\.0) == PaymentFields.all)
        #expect(body["cardnumber"] == .string(Self.card))
        #expect(body["cardexpirationmonth"] == .string("03"))
        #expect(body["cardexpirationyear"] == .string("2028"))
        #expect(body["cardexpirationdate"] == .string("03/2028"))
        #expect(body["checkaccountnumber"] == .string(""))  // ACH fields do not apply: sent empty
        #expect(body["paymentstatus"] == .string("POSTED"))  // from the writer's defaults
        #expect(body["acceptedfees"] == .string("0"))
        #expect(calls[0].call.idempotent == false)
        #expect(calls[0].ledger?.key == "row:7")
        #expect(calls[0].ledger?.reference == "INV-1")
        #expect(calls[0].ledger?.items == [PaymentKey(date: "2026-11-20", cents: 12550).description])
    }

    @Test func anACHPaymentEmptiesTheCardFieldsAndRestoresTheRoutingNumbersLeadingZero() throws {
        let writer = try writer()
        let payment = row(["paymentmethod": "ACH", "checkaccountnumber": "9876543210", "checkroutingnumber": "11000015",
                           "cardexpirationmonth": "12", "acceptedfees": "yes"])
        #expect(writer.check(payment) == nil)
        let body = try #require(writer.plan(payment, current: AccountSnapshot(paymentCounts: [:])).first?.call.body)
        #expect(body["checkroutingnumber"] == .string("011000015"))
        #expect(body["cardexpirationmonth"] == .string(""))
        #expect(body["acceptedfees"] == .string("1"))
    }

    @Test(arguments: [
        (["paymentamount": ""], ReasonCode.missingField),
        (["payorname": ""], .missingField),
        (["paymentamount": "0.00"], .invalidAmount),
        (["paymentamount": "-12.00"], .invalidAmount),
        (["paymentamount": "12.5"], .invalidMoney),
        (["paymentdate": "11/20/2026"], .invalidDate),
        (["paymentdate": "2026-02-30"], .invalidDate),
        (["acceptedfees": "maybe"], .invalidField),
        (["cardnumber": "4111111111111112", "cardexpirationdate": "12/2030"], .invalidCard),
        (["cardnumber": "41111", "cardexpirationdate": "12/2030"], .invalidCard),
        (["cardnumber": Self.card], .invalidCardExpiry),
        (["cardnumber": Self.card, "cardexpirationdate": "13/2030"], .invalidCardExpiry),
        (["cardnumber": Self.card, "cardexpirationdate": "12/2030", "cardexpirationmonth": "11", "cardexpirationyear": "2030"], .invalidCardExpiry),
        (["cardnumber": Self.card, "cardexpirationdate": "10/2026"], .cardExpired),
        (["cardnumber": Self.card, "cardexpirationdate": "12/2030", "threedigitnumber": "12"], .invalidCVV),
        (["checkaccountnumber": "9876543210", "checkroutingnumber": "011000016"], .invalidBankAccount),
        (["checkaccountnumber": "12", "checkroutingnumber": "011000015"], .invalidBankAccount),
    ])
    func rowsThatCannotBeSentAreRejectedBeforeAnyCall(values: [String: String], reason: ReasonCode) throws {
        let issue = try #require(try writer().check(row(values)))
        #expect(issue.reason == reason)
        // Card data never shows in the message beyond first 6 / last 4, the CVV never.
        #expect(!issue.message.contains(Self.card))
        #expect(!issue.message.contains("4111111111111112"))
        if let cvv = values["threedigitnumber"] { #expect(!issue.message.contains("\"\(cvv)\"")) }
    }

    @Test func theMonthAndYearFieldsAloneMakeAValidExpiry() throws {
        let payment = row(["cardnumber": Self.card, "cardexpirationmonth": "7", "cardexpirationyear": "29"])
        #expect(try writer().check(payment) == nil)
        #expect(try writer().plan(payment, current: AccountSnapshot()).first?.call.body?["cardexpirationdate"] == .string("07/2029"))
    }

    @Test func aPlanFromRowsIsOneCallWithAllInstallmentsOrARejectWhenTheRowsDisagree() throws {
        let config = try PipelineLoader.parse(Self.pipeline.replacingOccurrences(of: "insert_payments_external", with: "insert_payplan_external"), file: "p.yml")
        let writer = config.writers[0]
        #expect(writer.plansWholeAccount)
        let rows = [row(["paymentdate": "2026-12-01", "paymentamount": "50.00", "invoice": "P1"], number: 1),
                    row(["paymentdate": "2027-01-01", "paymentamount": "50.00", "invoice": "P1"], number: 2)]
        let planned = try writer.planAccount(rows, current: AccountSnapshot(paymentCounts: [:])).get()
        #expect(planned.count == 1)
        let data = try #require(planned[0].call.body?["paymentdata"]?.arrayValue)
        #expect(data.count == 2)
        #expect(data[1]["paymentdate"] == .string("2027-01-01"))
        #expect(planned[0].ledger?.key.hasPrefix("plan:R1:") == true)
        #expect(planned[0].ledger?.items.count == 2)

        let disagreeing = [rows[0], row(["paymentdate": "2027-01-01", "paymentamount": "50.00", "invoice": "P1", "payorname": "JANE DOE"], number: 2)]
        guard case let .failure(issue) = writer.planAccount(disagreeing, current: AccountSnapshot()) else {
            Issue.record("rows that disagree made a plan")
            return
        }
        #expect(issue.reason == .planRowsDisagree)
        #expect(issue.field == "payorname")
    }

    @Test func aPlanFromAJSONField() throws {
        let text = Self.pipeline.replacingOccurrences(of: "insert_payments_external:", with: "insert_payplan_external:\n      schedule: { field: invoice }")
        let writer = try PipelineLoader.parse(text, file: "p.yml").writers[0]
        #expect(!writer.plansWholeAccount)
        let good = row(["invoice": #"[{"paymentdate": "12/1/2026", "paymentamount": "$10"}, {"paymentdate": "2027-01-01", "paymentamount": 10.5}]"#])
        #expect(writer.check(good) == nil)
        let items = writer.plan(good, current: AccountSnapshot()).first?.ledger?.items
        #expect(items == [PaymentKey(date: "2026-12-01", cents: 1000).description, PaymentKey(date: "2027-01-01", cents: 1050).description])
        #expect(writer.check(row(["invoice": "[]"]))?.reason == .invalidField)
        #expect(writer.check(row(["invoice": #"[{"paymentdate": "2/30/2027", "paymentamount": "1"}]"#]))?.reason == .invalidField)
    }

    @Test func pipelineMistakesAreCaughtWhenTheFileIsLoaded() {
        let unnormalised = Self.pipeline.replacingOccurrences(of: "normalize: { paymentdate: date, paymentamount: money }", with: "normalize: { paymentdate: date }")
        #expect(throws: PipelineError.self) { try PipelineLoader.parse(unnormalised, file: "p.yml") }
        let cardDefault = Self.pipeline.replacingOccurrences(of: "paymentstatus: POSTED", with: "cardnumber: \"4111111111111111\"")
        #expect(throws: PipelineError.self) { try PipelineLoader.parse(cardDefault, file: "p.yml") }
        let typo = Self.pipeline.replacingOccurrences(of: "paymentstatus: POSTED", with: "paymentstatsu: POSTED")
        #expect(throws: PipelineError.self) { try PipelineLoader.parse(typo, file: "p.yml") }
    }
}
