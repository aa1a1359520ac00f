import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

/// `settle`: what an operator found on the server for a row whose outcome is unknown.
@Suite struct SettleByHandTests {
    func journalWithAnUnknownPaymentAndALostNote(_ kind: JournalStoreKind) throws -> RunJournal {
        let journal = try kind.freshJournal()
        try journal.beginRun(id: "run1", pipeline: "p", inputName: "f.csv", inputDigest: "d", target: "t")
        let entry = try journal.recordIntent(LedgerKey(pipeline: "p", inputDigest: "d", key: "row:7"), runId: "run1", inputName: "f.csv", sourceRow: 7,
                                             filenumber: "R3001", endpoint: "insert_payments_external", reference: "INV-7", read: .payments, items: [], baseline: nil, maskedBody: "{}")
        try journal.settle(entry, as: .unknown, message: "answer lost")
        _ = try journal.recordChanges([ChangeRecord(runId: "run1", filenumber: "R3001", endpoint: "InsertNoteline", field: nil, previous: nil,
                                                    newValue: "InsertNoteline LOADER", normalizer: nil, sourceRow: 7)])
        try journal.finishRun(id: "run1", exitCode: 1, summary: "{}")
        return journal
    }

    @Test(arguments: JournalStoreKind.testable)
    func confirmedBooksTheEntryAndTheReferenceStaysADuplicate(_ kind: JournalStoreKind) throws {
        let journal = try journalWithAnUnknownPaymentAndALostNote(kind)
        let other = LedgerKey(pipeline: "p2", inputDigest: "d2", key: "row:1")
        #expect(try journal.earlierBooking(filenumber: "R3001", reference: "INV-7", excluding: other) != nil, "unknown blocks the reference")
        let settled = try journal.settleByHand(runId: "run1", sourceRow: 7, confirmed: true, note: "settled by hand as confirmed")
        #expect(settled.entries == 1 && settled.changes == 1)
        #expect(try journal.entries(runId: "run1").first?.state == .booked)
        #expect(try journal.changes(runId: "run1").first?.state == .made)
        #expect(try journal.earlierBooking(filenumber: "R3001", reference: "INV-7", excluding: other)?.state == .booked)
        #expect(try journal.settleByHand(runId: "run1", sourceRow: 7, confirmed: false, note: "again") == (0, 0), "settled once")
    }

    @Test(arguments: JournalStoreKind.testable)
    func absentRefusesTheEntrySoTheReferenceNoLongerBlocks(_ kind: JournalStoreKind) throws {
        let journal = try journalWithAnUnknownPaymentAndALostNote(kind)
        let settled = try journal.settleByHand(runId: "run1", sourceRow: 7, confirmed: false, note: "settled by hand as absent")
        #expect(settled.entries == 1 && settled.changes == 1)
        #expect(try journal.entries(runId: "run1").first?.state == .refused)
        #expect(try journal.entries(runId: "run1").first?.message == "settled by hand as absent")
        #expect(try journal.changes(runId: "run1").first?.state == .failed)
        #expect(try journal.earlierBooking(filenumber: "R3001", reference: "INV-7", excluding: LedgerKey(pipeline: "p2", inputDigest: "d2", key: "row:1")) == nil)
        #expect(try journal.settleByHand(runId: "run1", sourceRow: 8, confirmed: false, note: "x") == (0, 0), "another row has nothing open")
    }
}
