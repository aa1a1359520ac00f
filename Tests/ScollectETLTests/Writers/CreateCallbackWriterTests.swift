@testable import ScollectETL
import Testing

struct CreateCallbackWriterTests {
    static let yaml = "  - createCallback: { date: { field: d }, time: { field: t }, assignedto: mail }"

    @Test func clockTimesAreSentAsTheDocumentWritesThem() {
        #expect(CreateCallbackWriter.clockTime("13:43") == "1:43PM")
        #expect(CreateCallbackWriter.clockTime("1:43PM") == "1:43PM")
        #expect(CreateCallbackWriter.clockTime("01:43 pm") == "1:43PM")
        #expect(CreateCallbackWriter.clockTime("12:05 AM") == "12:05AM")
        #expect(CreateCallbackWriter.clockTime("00:05") == "12:05AM")
        #expect(CreateCallbackWriter.clockTime("12:00") == "12:00PM")
        #expect(CreateCallbackWriter.clockTime("25:00") == nil)
        #expect(CreateCallbackWriter.clockTime("13:00 PM") == nil)
        #expect(CreateCallbackWriter.clockTime("9:60") == nil)
    }

    @Test func theBodyNamesTheAccountsDebtor() throws {
        let writer = try WriterFixture.writers(mapping: ["d", "t"], Self.yaml)[0]
        let calls = writer.plan(WriterFixture.row(["d": "2025-03-17", "t": "13:43"]),
                                current: AccountSnapshot(fields: ["firstname": "IVANA", "lastname": "LAST NAME"]))
        #expect(calls.first?.call.body == .strings([("FileNumber", "R1"), ("Name", "IVANA LAST NAME"), ("Assignedto", "mail"),
                                                    ("Callbackdate", "2025-03-17"), ("Callbacktime", "1:43PM"), ("Callbackdatemysql", "2025-03-17")]))
        #expect(calls.first?.call.idempotent == false)
    }

    @Test func rowsAreCheckedBeforeAnyCall() throws {
        let writer = try WriterFixture.writers(mapping: ["d", "t"], Self.yaml)[0]
        #expect(writer.check(WriterFixture.row(["d": "2025-03-17"]))?.reason == .missingField)
        #expect(writer.check(WriterFixture.row(["t": "1:00 PM"]))?.reason == .missingField)
        #expect(writer.check(WriterFixture.row(["d": "2025-02-30", "t": "1:00 PM"]))?.reason == .invalidDate)
        #expect(writer.check(WriterFixture.row(["d": "2025-03-17", "t": "noon"]))?.reason == .invalidField)
        #expect(writer.check(WriterFixture.row([:])) == nil)
        #expect(writer.plan(WriterFixture.row([:]), current: AccountSnapshot()).isEmpty)
    }
}
