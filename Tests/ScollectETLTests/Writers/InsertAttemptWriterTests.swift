@testable import ScollectETL
import Testing

struct InsertAttemptWriterTests {
    static let yaml = "  - insertattempt: { phonenumber: { field: p }, dispo: { field: d }, agent: { field: a } }"

    @Test func aCompleteAttemptIsOneInsertInTheDocumentsShape() throws {
        let writer = try WriterFixture.writers(mapping: ["p", "d", "a"], Self.yaml)[0]
        let row = WriterFixture.row(["p": "205-555-0189", "d": "spoke to debtor", "a": "JSMITH"])
        #expect(writer.check(row) == nil)
        let calls = writer.plan(row, current: AccountSnapshot())
        #expect(calls.count == 1)
        #expect(calls[0].call.body == .strings([("phonenumber", "205-555-0189"), ("dispo", "SPOKE TO DEBTOR"), ("agent", "JSMITH"),
                                                ("type", "MANUAL"), ("filenumber", "R1")]))
        #expect(calls[0].call.method == "POST" && calls[0].call.idempotent == false)
    }

    @Test func halfAnAttemptIsRejectedAndNoAttemptSendsNothing() throws {
        let writer = try WriterFixture.writers(mapping: ["p", "d", "a"], Self.yaml)[0]
        #expect(writer.check(WriterFixture.row(["d": "NO ANSWER", "a": "JSMITH"]))?.reason == .missingField)
        #expect(writer.check(WriterFixture.row(["p": "205-555-0189", "d": "NO ANSWER"]))?.field == "a")
        #expect(writer.check(WriterFixture.row(["p": "2055550189", "d": "NO ANSWER", "a": "X"]))?.reason == .invalidPhone)
        // An agent alone (the column may serve a callback) is no attempt.
        #expect(writer.check(WriterFixture.row(["a": "JSMITH"])) == nil)
        #expect(writer.plan(WriterFixture.row(["a": "JSMITH"]), current: AccountSnapshot()).isEmpty)
    }

    @Test func aLiteralAttemptForEveryRowIsRefused() {
        #expect(WriterFixture.loadError(mapping: ["a"], "  - insertattempt: { phonenumber: 205-555-0189, dispo: X, agent: { field: a } }")?
            .contains("phonenumber or dispo must come from a mapped field") == true)
    }
}
