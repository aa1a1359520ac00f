@testable import ScollectETL
import Testing

struct InsertNotelineWriterTests {
    static let yaml = """
      - updatedbase: { fields: [address, socialsecuritynumber] }
      - InsertNoteline: { collectorname: LOADER, logmessage: { field: note }, summary_of_changes: true }
    """

    @Test func theSummaryListsWhatTheEarlierWritersChangedAndNothingElse() throws {
        let writers = try WriterFixture.writers(mapping: ["address", "socialsecuritynumber", "note"], Self.yaml)
        let current = AccountSnapshot(fields: ["address": "84 W SUNSET ST", "socialsecuritynumber": "598-63-9594"])
        let row = WriterFixture.row(["address": "12 OAK ST", "socialsecuritynumber": "598-63-1111", "note": "MOVED"])
        let earlier = writers[0].plan(row, current: current, earlier: [])
        #expect(earlier.count == 2)
        let note = writers[1].plan(row, current: current, earlier: earlier)
        #expect(note.count == 1)
        let message = note[0].call.body?["logmessage"]?.stringValue ?? ""
        #expect(message == "|ACCOUNT MAINTENANCE|\r\nMOVED\r\naddress from 84 W SUNSET ST to 12 OAK ST\r\nsocialsecuritynumber from ***-**-9594 to ***-**-1111")
        #expect(note[0].call.path == "/InsertNoteline")
        #expect(note[0].call.body?["collectorname"] == .string("LOADER"))
        #expect(note[0].call.idempotent == false)
    }

    @Test func nothingChangedMeansNoNoteEvenWithTheRowsOwnNote() throws {
        let writers = try WriterFixture.writers(mapping: ["address", "socialsecuritynumber", "note"], Self.yaml)
        let current = AccountSnapshot(fields: ["address": "12 OAK ST"])
        let row = WriterFixture.row(["address": "12 OAK ST", "note": "MOVED"])
        let earlier = writers[0].plan(row, current: current, earlier: [])
        #expect(earlier.isEmpty)
        #expect(writers[1].plan(row, current: current, earlier: earlier).isEmpty)
    }

    @Test func withoutASummaryTheRowsNoteIsWrittenAndABlankOneIsNot() throws {
        let writers = try WriterFixture.writers(mapping: ["note", "who"], "  - InsertNoteline: { collectorname: { field: who }, logmessage: { field: note } }")
        #expect(writers[0].plan(WriterFixture.row(["note": "PROMISED TO PAY", "who": "AG"]), current: AccountSnapshot()).first?.call.body
                == .strings([("filenumber", "R1"), ("collectorname", "AG"), ("logmessage", "PROMISED TO PAY")]))
        #expect(writers[0].plan(WriterFixture.row(["who": "AG"]), current: AccountSnapshot()).isEmpty)
        #expect(writers[0].check(WriterFixture.row(["note": "X"]))?.reason == .missingField, "a note without a collector")
        #expect(writers[0].check(WriterFixture.row([:])) == nil)
    }

    @Test func optionsAreChecked() {
        #expect(WriterFixture.loadError(mapping: ["note"], "  - InsertNoteline: { collectorname: LOADER }")?.contains("needs logmessage, or summary_of_changes") == true)
        #expect(WriterFixture.loadError(mapping: ["note"], "  - InsertNoteline: { collectorname: LOADER, logmessage: { field: nope } }")?.contains("not in the mapping") == true)
        #expect(WriterFixture.loadError(mapping: ["note"], "  - InsertNoteline: { collector: LOADER, logmessage: { field: note } }")?.contains("unknown key \"collector\"") == true)
    }
}
