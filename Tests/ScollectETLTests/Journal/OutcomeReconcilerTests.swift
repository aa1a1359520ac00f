@testable import ScollectETL
import Testing

/// Counting payments by date and amount tells a lost write that landed from one that did not.
struct OutcomeReconcilerTests {
    static let payment = PaymentKey(date: "2026-11-20", cents: 5000)
    static let key = payment.description
    static let other = PaymentKey(date: "2026-12-20", cents: 5000).description

    func entry(_ items: [String], baseline: [String: Int]?) -> LedgerEntry {
        LedgerEntry(id: 1, sequence: 10, runId: "r", pipeline: "p", inputName: "f.csv", key: "row:1", sourceRow: 1, filenumber: "R1",
                    endpoint: "insert_payments_external", reference: nil, read: .payments, items: items, baseline: baseline,
                    state: .sent, message: nil, sends: 1)
    }

    @Test func withABaseline() {
        let sent = entry([Self.key], baseline: [Self.key: 1])  // one such payment existed before
        #expect(OutcomeReconciler.verdict(for: sent, server: [Self.key: 2], bookedLater: [:], bookedEver: [:], openLater: 0) == .landed)
        #expect(OutcomeReconciler.verdict(for: sent, server: [Self.key: 1], bookedLater: [:], bookedEver: [:], openLater: 0) == .absent)
        // Booked later by the journal (another row, same date and amount): not this write's doing.
        #expect(OutcomeReconciler.verdict(for: sent, server: [Self.key: 2], bookedLater: [Self.key: 1], bookedEver: [:], openLater: 0) == .absent)
        // More than one unexplained payment, or fewer than before: a person looks.
        guard case .unsettled = OutcomeReconciler.verdict(for: sent, server: [Self.key: 3], bookedLater: [:], bookedEver: [:], openLater: 0) else {
            Issue.record("two unexplained payments were settled"); return
        }
        guard case .unsettled = OutcomeReconciler.verdict(for: sent, server: [:], bookedLater: [:], bookedEver: [:], openLater: 0) else {
            Issue.record("a vanished payment was settled"); return
        }
    }

    @Test func aPlanLandsWhole() {
        let plan = entry([Self.key, Self.other, Self.other], baseline: [Self.key: 0, Self.other: 0])
        #expect(OutcomeReconciler.verdict(for: plan, server: [Self.key: 1, Self.other: 2], bookedLater: [:], bookedEver: [:], openLater: 0) == .landed)
        #expect(OutcomeReconciler.verdict(for: plan, server: [:], bookedLater: [:], bookedEver: [:], openLater: 0) == .absent)
        guard case .unsettled = OutcomeReconciler.verdict(for: plan, server: [Self.key: 1], bookedLater: [:], bookedEver: [:], openLater: 0) else {
            Issue.record("half a plan was settled"); return
        }
    }

    @Test func withoutABaselineTheJournalsBookingsExplainTheServer() {
        let sent = entry([Self.key], baseline: nil)
        #expect(OutcomeReconciler.verdict(for: sent, server: [Self.key: 2], bookedLater: [:], bookedEver: [Self.key: 1], openLater: 0) == .landed)
        #expect(OutcomeReconciler.verdict(for: sent, server: [Self.key: 1], bookedLater: [:], bookedEver: [Self.key: 1], openLater: 0) == .absent)
    }

    @Test func anotherOpenWriteAfterThisOneOnlySettlesWhenNothingLanded() {
        let sent = entry([Self.key], baseline: [Self.key: 0])
        #expect(OutcomeReconciler.verdict(for: sent, server: [:], bookedLater: [:], bookedEver: [:], openLater: 1) == .absent)
        guard case .unsettled = OutcomeReconciler.verdict(for: sent, server: [Self.key: 1], bookedLater: [:], bookedEver: [:], openLater: 1) else {
            Issue.record("an ambiguous count was settled"); return
        }
    }

    @Test func serverSpellingsOfDatesAndAmountsMatchTheSentOnes() {
        #expect(PaymentKey(serverDate: "Fri, 20 Nov 2026 00:00:00 GMT", serverAmount: "$50.00") == Self.payment)
        #expect(PaymentKey(serverDate: "11/20/2026", serverAmount: "50") == Self.payment)
        #expect(PaymentKey(date: "2026-11-20", amount: "50.00") == Self.payment)
        #expect(Self.key == "2026-11-20|50.00")
    }
}
