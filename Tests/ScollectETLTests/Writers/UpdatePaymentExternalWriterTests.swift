@testable import ScollectETL
import Testing

struct UpdatePaymentExternalWriterTests {
    func writer() throws -> any APIWriter {
        try WriterFixture.writers(mapping: ["payorname", "paymentdate", "cardnumber", "threedigitnumber", "checkroutingnumber", "acceptedfees"],
                                  "  - update_payment_external:")[0]
    }

    @Test func onlyTheGivenFieldsAreSentWithAcceptedfeesAsABoolean() throws {
        let calls = try writer().plan(WriterFixture.row(["payorname": "JANE SMITH", "acceptedfees": "1"]), current: AccountSnapshot())
        #expect(calls.first?.call.body == .object([("filenumber", .string("R1")), ("payorname", .string("JANE SMITH")), ("acceptedfees", .bool(true))]))
        #expect(calls.first?.call.path == "/update_payment_external" && calls.first?.call.idempotent == true)
        #expect(calls.first?.summary == "update_payment_external payorname, acceptedfees")
        #expect(try writer().plan(WriterFixture.row([:]), current: AccountSnapshot()).isEmpty, "nothing to update: nothing sent")
    }

    @Test func valuesAreCheckedBeforeAnyCall() throws {
        let writer = try writer()
        #expect(writer.check(WriterFixture.row(["paymentdate": "2026-13-01"]))?.reason == .invalidDate)
        #expect(writer.check(WriterFixture.row(["cardnumber": "4111111111111112"]))?.reason == .invalidCard)
        #expect(writer.check(WriterFixture.row(["cardnumber": "4111111111111112"]))?.message.contains("4111111111111112") == false, "the card is masked")
        #expect(writer.check(WriterFixture.row(["threedigitnumber": "12"]))?.reason == .invalidCVV)
        #expect(writer.check(WriterFixture.row(["checkroutingnumber": "123456789"]))?.reason == .invalidBankAccount)
        #expect(writer.check(WriterFixture.row(["acceptedfees": "maybe"]))?.reason == .invalidField)
        #expect(writer.check(WriterFixture.row(["cardnumber": "4111 1111 1111 1111", "checkroutingnumber": "11000015"])) == nil)
    }
}
