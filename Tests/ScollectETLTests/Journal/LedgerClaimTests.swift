import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

/// Check-and-record is one transaction: two processes sharing a journal (two handles here, each
/// with its own connections) never both book one reference or one entry — in both stores.
@Suite struct LedgerClaimTests {
    func claim(_ journal: RunJournal, pipeline: String, reference: String, expecting: Int64? = nil) throws -> RunJournal.Claim {
        try journal.claim(LedgerKey(pipeline: pipeline, inputDigest: "d", key: "row:1"), expecting: expecting, runId: "run-" + pipeline,
                          inputName: "payments.csv", sourceRow: 1, filenumber: "R3001", endpoint: "insert_payments_external",
                          reference: reference, read: .payments, items: [], baseline: nil, maskedBody: "{}")
    }

    @Test(arguments: JournalStoreKind.testable)
    func twoPipelinesRacingForOneReferenceClaimItOnce(_ kind: JournalStoreKind) throws {
        let (location, environment) = try kind.freshLocation()
        let first = try kind.open(location, environment: environment)
        let second = try kind.open(location, environment: environment)
        let claimed = NSLock()
        nonisolated(unsafe) var wins: [String: Int] = [:]
        nonisolated(unsafe) var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 200) { index in
            let reference = "INV-\(index / 2)"
            do {
                let outcome = try claim(index % 2 == 0 ? first : second, pipeline: index % 2 == 0 ? "a" + reference : "b" + reference, reference: reference)
                claimed.lock()
                if case .claimed = outcome { wins[reference, default: 0] += 1 }
                claimed.unlock()
            } catch {
                claimed.lock(); failures.append("\(error)"); claimed.unlock()
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(wins.count == 100)
        #expect(wins.values.allSatisfy { $0 == 1 }, "a reference claimed twice: \(wins.filter { $0.value > 1 })")
    }

    @Test(arguments: JournalStoreKind.testable)
    func anEntryRecordedAgainByAnotherRunIsInFlightAndABookedOneIsBooked(_ kind: JournalStoreKind) throws {
        let journal = try kind.freshJournal()
        guard case let .claimed(mine) = try claim(journal, pipeline: "p", reference: "INV-1") else { Issue.record("first claim"); return }
        // Another process looked before this claim (expecting nothing): it must not send too.
        guard case .inFlight = try claim(journal, pipeline: "p", reference: "INV-1", expecting: nil) else { Issue.record("in flight"); return }
        // The same run, after its own lost answer was reconciled absent, sends again.
        try journal.settle(mine, as: .unknown, message: "answer lost")
        guard case .claimed = try claim(journal, pipeline: "p", reference: "INV-1", expecting: mine.sequence) else { Issue.record("again"); return }
        let current = try #require(try journal.entry(LedgerKey(pipeline: "p", inputDigest: "d", key: "row:1")))
        try journal.settle(current, as: .booked, message: nil)
        guard case .booked = try claim(journal, pipeline: "p", reference: "INV-1", expecting: current.sequence) else { Issue.record("booked"); return }
    }
}
