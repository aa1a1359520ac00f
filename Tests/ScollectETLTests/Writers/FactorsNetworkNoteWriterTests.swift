import Foundation
@testable import ScollectETL
import Testing

struct FactorsNetworkNoteWriterTests {
    static let debtor = "dd1c6e63-7680-4d06-34f6-44d293694bba"
    static let creditor = "710bc35a-d1f2-5678-b576-a15197909044"
    static let yaml = """
      - factors_network_note:
          debtor: { field: debtor }
          creditor: \(creditor)
          type: { field: type }
          note: { field: note }
          writeOffAmount: { field: amount }
          createdDate: { field: created }
    """

    func writer() throws -> any APIWriter {
        try WriterFixture.writers(mapping: ["debtor", "type", "note", "amount", "created"], Self.yaml)[0]
    }

    @Test func aNoteGoesToTheFactorsNetworkAsFormFields() throws {
        let calls = try writer().plan(WriterFixture.row(["debtor": Self.debtor.uppercased(), "type": "slow_pay", "note": "testing"]), current: AccountSnapshot())
        let call = try #require(calls.first?.call)
        #expect(call.service == .factorsNetwork)
        #expect(call.path == "/api/debtors/\(Self.debtor)/notes.json")
        #expect(call.body == .strings([("creditor", Self.creditor), ("note", "testing"), ("type", "SLOW_PAY")]))
        #expect(call.idempotent == false)
        #expect(String(decoding: FactorsNetworkClient.formEncoded(call.body), as: UTF8.self) == "creditor=\(Self.creditor)&note=testing&type=SLOW_PAY")
        #expect(String(decoding: FactorsNetworkClient.formEncoded(.strings([("note", "a b&c=d")])), as: UTF8.self) == "note=a%20b%26c%3Dd")
    }

    @Test func theThirtyTwoTypesAndTheWriteOffRule() throws {
        #expect(FactorsNetworkNoteWriter.noteTypes.count == 32)
        let writer = try writer()
        func issue(_ values: [String: String]) -> ReasonCode? { writer.check(WriterFixture.row(values.merging(["debtor": Self.debtor]) { a, _ in a }))?.reason }
        #expect(issue(["type": "LATE_PAY"]) == .invalidNoteType)
        #expect(issue(["type": "WRITE_OFF"]) == .missingField)
        #expect(issue(["type": "NO_BUY", "amount": "0"]) == .invalidAmount)
        #expect(issue(["type": "WRITE_OFF", "amount": "12,354"]) == .invalidAmount)
        #expect(issue(["type": "SLOW_PAY", "amount": "50"]) == .invalidField)
        #expect(issue(["type": "WRITE_OFF", "amount": "1234.50"]) == nil)
        #expect(issue(["type": "OFF_NO_BUY"]) == nil)
        #expect(writer.check(WriterFixture.row(["debtor": "dd1c6e63-7680", "type": "SLOW_PAY"]))?.reason == .invalidUUID)
        #expect(writer.check(WriterFixture.row(["type": "SLOW_PAY"])) == nil, "no debtor: no note")
    }

    @Test func createdDateIsSentInTwentyFourHourTimeAndOnlyBackDates() throws {
        #expect(FactorsNetworkNoteWriter.createdDateText("2015-09-21 19:10:00")?.text == "2015-09-21 19:10:00")
        #expect(FactorsNetworkNoteWriter.createdDateText("2015-09-21 7:10:00 PM")?.text == "2015-09-21 19:10:00")
        #expect(FactorsNetworkNoteWriter.createdDateText("2015-09-21 12:10 AM")?.text == "2015-09-21 00:10:00")
        #expect(FactorsNetworkNoteWriter.createdDateText("2015-09-21T08:05")?.text == "2015-09-21 08:05:00")
        #expect(FactorsNetworkNoteWriter.createdDateText("2015-09-21")?.text == "2015-09-21 00:00:00")
        #expect(FactorsNetworkNoteWriter.createdDateText("2015-09-31 10:00:00") == nil)
        #expect(FactorsNetworkNoteWriter.createdDateText("2015-09-21 24:00:00") == nil)
        #expect(FactorsNetworkNoteWriter.createdDateText("21/09/2015") == nil)
        let writer = try writer()
        let future = WriterFixture.row(["debtor": Self.debtor, "type": "SLOW_PAY", "created": "2999-01-01 10:00:00"])
        #expect(writer.check(future)?.reason == .invalidDate)
        let past = WriterFixture.row(["debtor": Self.debtor, "type": "SLOW_PAY", "created": "2015-09-21 7:10 PM"])
        #expect(writer.plan(past, current: AccountSnapshot()).first?.call.body?["createdDate"] == .string("2015-09-21 19:10:00"))
    }

    @Test func optionsAreCheckedWhenThePipelineLoads() {
        #expect(WriterFixture.loadError(mapping: ["debtor"], "  - factors_network_note: { debtor: { field: debtor }, creditor: not-a-uuid, type: SLOW_PAY }")?.contains("is not a UUID") == true)
        #expect(WriterFixture.loadError(mapping: ["debtor"], "  - factors_network_note: { debtor: { field: debtor }, creditor: \(Self.creditor), type: SLOWPAY }")?.contains("did you mean \"SLOW_PAY\"") == true)
        #expect(WriterFixture.loadError(mapping: ["debtor"], "  - factors_network_note: { debtor: { field: debtor }, creditor: \(Self.creditor), type: SLOW_PAY, password: x }")?.contains("unknown key \"password\"") == true)
    }
}
