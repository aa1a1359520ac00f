import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// The journal survives reopening and answers the questions a resumed run asks.
struct RunJournalTests {
    @Test(arguments: JournalStoreKind.testable)
    func intentsAndOutcomesSurviveReopening(_ kind: JournalStoreKind) throws {
        let (path, environment) = try kind.freshLocation()
        let key = LedgerKey(pipeline: "bulk-payments", inputDigest: "abc", key: "row:3")
        let item = PaymentKey(date: "2026-11-20", cents: 5000).description
        do {
            let journal = try kind.open(path, environment: environment)
            try journal.beginRun(id: "run1", pipeline: "bulk-payments", inputName: "payments.csv", inputDigest: "abc", target: "t")
            let entry = try journal.recordIntent(key, runId: "run1", inputName: "payments.csv", sourceRow: 3, filenumber: "R1",
                                                 endpoint: "insert_payments_external", reference: "INV-1", read: .payments, items: [item],
                                                 baseline: [item: 1], maskedBody: "{}")
            #expect(entry.state == .sent)
        }
        if kind == .sqlite { #expect(fileMode(path) == 0o600) }
        let journal = try kind.open(path, environment: environment)
        let reopened = try #require(try journal.entry(key))
        #expect(reopened.state == .sent)  // the run died before the answer: still open
        #expect(reopened.baseline == [item: 1])
        #expect(reopened.items == [item])
        #expect(try journal.openEntries(filenumber: "r1", read: .payments, after: 0, sharing: [item]) == 1)  // file numbers are case-insensitive
        // Another open write to the account with other keys cannot blur this one's count.
        #expect(try journal.openEntries(filenumber: "R1", read: .payments, after: 0,
                                        sharing: [PaymentKey(date: "2026-11-21", cents: 5000).description]) == 0)

        try journal.settle(reopened, as: .booked, message: nil)
        #expect(try journal.bookedItems(filenumber: "R1", read: .payments) == [item: 1])
        // The same reference from another file of the same account is a duplicate; on another account it is not.
        let otherFile = LedgerKey(pipeline: "bulk-payments", inputDigest: "def", key: "row:9")
        #expect(try journal.earlierBooking(filenumber: "R1", reference: "INV-1", excluding: otherFile)?.runId == "run1")
        #expect(try journal.earlierBooking(filenumber: "R2", reference: "INV-1", excluding: otherFile) == nil)
        #expect(try journal.earlierBooking(filenumber: "R1", reference: "INV-1", excluding: key) == nil)

        // A refused entry is sent again under the same key with a later sequence.
        try journal.settle(reopened, as: .refused, message: "no")
        let again = try journal.recordIntent(key, runId: "run2", inputName: "payments.csv", sourceRow: 3, filenumber: "R1",
                                             endpoint: "insert_payments_external", reference: "INV-1", read: .payments, items: [item], baseline: nil, maskedBody: "{}")
        #expect(again.id == reopened.id)
        #expect(again.sequence > reopened.sequence)
        #expect(again.runId == "run2")
    }

    /// Processes started at once on a new journal (two pipelines at 02:30, each also opening the
    /// tenant's rate budget) all open it: the one that loses the race to switch it to WAL waits.
    @Test func handlesOpeningANewJournalAtOnceAllOpenIt() throws {
        for _ in 0..<5 {
            let path = try makeTemporaryDirectory("open-race") + "/journal.sqlite"
            let lock = NSLock()
            nonisolated(unsafe) var failures: [String] = []
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                do {
                    _ = try RunJournal(path: path, key: nil)
                } catch {
                    lock.lock(); failures.append("\(error)"); lock.unlock()
                }
            }
            #expect(failures.isEmpty, "\(failures.prefix(2))")
        }
    }

    /// A resumed run skips the rows written or unchanged before; a row rejected before is read
    /// again, so the run that finishes the file reports every reject of it (a SIGKILL after a
    /// reject was recorded once made the final run count it unchanged: KillAndResumeTests).
    @Test(arguments: JournalStoreKind.testable)
    func aResumedRunSkipsWrittenAndUnchangedRowsOnly(_ kind: JournalStoreKind) throws {
        let journal = try kind.freshJournal()
        try journal.recordRowOutcomes(pipeline: "p", inputDigest: "d", runId: "run1", [
            (1, "written", nil), (2, "unchanged", nil), (3, "rejected", "ACCOUNT_NOT_FOUND"), (4, "retry", "OUTCOME_UNKNOWN"),
        ])
        #expect(try journal.settledRows(pipeline: "p", inputDigest: "d", among: [1, 2, 3, 4, 5]) == [1: "run1", 2: "run1"])
    }
}
