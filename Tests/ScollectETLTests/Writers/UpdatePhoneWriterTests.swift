@testable import ScollectETL
import Testing

struct UpdatePhoneWriterTests {
    static let yaml = "  - updatephone: { phones: [{ field: phone, type: { field: t }, status: { field: s } }] }"
    static let protect = "protect: { phone_statuses: [Do-Not-Call, Disconnected] }"

    func writer() throws -> any APIWriter {
        try WriterFixture.writers(mapping: ["phone", "t", "s"], normalize: "{ phone: phone }", protect: Self.protect, Self.yaml)[0]
    }

    func snapshot(type: String, status: String) -> AccountSnapshot {
        var snapshot = AccountSnapshot(phoneDigits: ["4072537828"])
        snapshot.phoneType = ["4072537828": type]
        snapshot.phoneStatus = ["4072537828": status]
        return snapshot
    }

    @Test func sendsOnlyWhatIsGivenAndOnlyWhenItChanges() throws {
        let writer = try writer()
        let row = WriterFixture.row(["phone": "407-253-7828", "s": "wrong number"])
        let calls = writer.plan(row, current: snapshot(type: "HOME", status: "UNKNOWN"))
        #expect(calls.count == 1)
        // Sent as the file spells it; the type not asked for as the phone has it now.
        #expect(calls[0].call.body == .strings([("filenumber", "R1"), ("phonenumber", "407-253-7828"), ("phonetype", "HOME"), ("phonestatus", "wrong number")]))
        #expect(calls[0].call.method == "PUT" && calls[0].call.idempotent)
        // Already so (compared ignoring case): nothing to send.
        #expect(writer.plan(row, current: snapshot(type: "HOME", status: "Wrong Number")).isEmpty)
        #expect(writer.plan(WriterFixture.row(["phone": "407-253-7828", "t": "home", "s": "UNKNOWN"]), current: snapshot(type: "HOME", status: "UNKNOWN")).isEmpty)
        // Once changed, the snapshot holds it: a later row of the account compares against it.
        var after = snapshot(type: "HOME", status: "UNKNOWN")
        after.apply(calls[0].effect)
        #expect(writer.plan(row, current: after).isEmpty)
    }

    @Test func theHalfNotAskedIsSentAsThePhoneHasItOrUnknown() throws {
        let writer = try writer()
        let status = writer.plan(WriterFixture.row(["phone": "407-253-7828", "s": "Disconnected"]), current: snapshot(type: "Home", status: "Good Number"))
        #expect(status.map(\.call.body) == [.strings([("filenumber", "R1"), ("phonenumber", "407-253-7828"), ("phonetype", "Home"), ("phonestatus", "Disconnected")])])
        let type = writer.plan(WriterFixture.row(["phone": "407-253-7828", "t": "Cell"]), current: snapshot(type: "", status: "Good Number"))
        #expect(type.map(\.call.body) == [.strings([("filenumber", "R1"), ("phonenumber", "407-253-7828"), ("phonetype", "Cell"), ("phonestatus", "Good Number")])])
        let none = writer.plan(WriterFixture.row(["phone": "407-253-7828", "s": "Good Number"]), current: AccountSnapshot(phoneDigits: ["4072537828"]))
        #expect(none.map(\.call.body) == [.strings([("filenumber", "R1"), ("phonenumber", "407-253-7828"), ("phonetype", "UNKNOWN"), ("phonestatus", "Good Number")])])
        #expect(writer.plan(WriterFixture.row(["phone": "407-253-7828", "s": "GOOD NUMBER", "t": "home"]), current: snapshot(type: "Home", status: "Good Number")).isEmpty)
    }

    @Test func neverChangesAProtectedPhone() throws {
        let writer = try writer()
        let row = WriterFixture.row(["phone": "407-253-7828", "t": "CELL", "s": "GOOD NUMBER"])
        #expect(writer.plan(row, current: snapshot(type: "HOME", status: "DO NOT CALL")).isEmpty)
        #expect(writer.plan(row, current: snapshot(type: "HOME", status: "disconnected")).isEmpty)
        #expect(writer.plan(row, current: snapshot(type: "HOME", status: "UNKNOWN")).count == 1)
    }

    @Test func rowsAreCheckedBeforeAnyCall() throws {
        let writer = try writer()
        #expect(writer.check(WriterFixture.row(["phone": "407-253-7828"]))?.reason == .missingField, "neither type nor status")
        #expect(writer.check(WriterFixture.row(["phone": "4072537828", "s": "X"]))?.reason == .invalidPhone)
        #expect(writer.check(WriterFixture.row(["s": "DISCONNECTED"]))?.reason == .missingField, "a status without a phone")
        #expect(writer.check(WriterFixture.row(["phone": "407-253-7828", "t": "CELL"])) == nil)
        #expect(writer.check(WriterFixture.row([:])) == nil)
    }
}
