import Foundation

/// Sends every write that is not safe to send twice (payments, payment plans, phones, notes,
/// attempts, callbacks, Factors Network notes) through the effect journal, one outcome state
/// machine for all: `sent` (committed before the transport is called) → `booked` (confirmed) |
/// `refused` (the server's full answer proves nothing was written) | `unknown`. An entry booked
/// by any earlier run is skipped; a client reference already booked on the account is refused
/// as a duplicate; an entry whose answer was lost — in this run or in one that died — is settled
/// by the read of its kind (`SettlingReads`) before anything is re-sent, and re-sent only when
/// that read proves it absent. A write no read lists is never re-sent once its answer was lost.
final class LedgerExecutor: @unchecked Sendable {
    enum Outcome {
        case booked
        /// An earlier run booked it: skipped. The text names that run.
        case alreadyBooked(String)
        case rejected(RowIssue)
    }

    let effects: EffectJournal
    let client: ScollectClient
    /// Failed calls are counted there, and judged for whether the API is down. A write whose
    /// answer was lost is counted but not judged: the settling read that follows has retries
    /// and decides that.
    let state: RunState
    /// Sends of one write whose answer was lost and that its read proved absent each time.
    var maxSends: Int { client.retryPolicy.maxAttempts }

    init(effects: EffectJournal, client: ScollectClient, state: RunState) {
        self.effects = effects
        self.client = client
        self.state = state
    }

    func isBooked(_ intent: LedgerIntent) throws -> Bool { try effects.isBooked(intent) }

    func execute(_ planned: PlannedCall, ledger: LedgerIntent, snapshot: inout AccountSnapshot, http: any HTTPTransport) throws -> Outcome {
        let filenumber = planned.call.filenumber ?? ""
        let existing = try effects.entry(ledger)
        if let existing {
            switch existing.state {
            case .booked:
                return .alreadyBooked(effects.describe(existing))
            case .sent, .unknown:
                // An earlier run sent it and never learnt the outcome.
                switch try reconcile(existing, snapshot: &snapshot, http: http) {
                case .landed:
                    try effects.settle(existing, as: .booked, message: "reconciled by run \(effects.runId): found on the server")
                    snapshot.confirm(planned, ledger)
                    return .booked
                case .absent:
                    break // proven not booked: send it below
                case let .unsettled(why):
                    try effects.settle(existing, as: .unknown, message: why)
                    return .rejected(unknownOutcome(planned, why))
                }
            case .refused:
                break // the server refused it last time: nothing was booked, try again
            }
        }
        // The duplicate-reference check is part of the claim: one transaction with the intent.
        var sends = 0
        var lastSeen = existing
        while true {
            sends += 1
            let baseline = try self.baseline(ledger, filenumber: filenumber, snapshot: &snapshot, http: http)
            let entry: LedgerEntry
            switch try effects.claim(planned, ledger, expecting: lastSeen, baseline: baseline) {
            case let .claimed(claimed):
                entry = claimed
            case let .booked(other):
                return .alreadyBooked(effects.describe(other))
            case let .inFlight(other):
                return .rejected(RowIssue(.outcomeUnknown, field: nil,
                    "\(planned.summary): \(effects.describe(other)) is sending it now; not sent twice — its outcome settles it"))
            case let .duplicate(earlier):
                let status = earlier.state == .booked ? "was already booked" : "may already be booked (its outcome is being checked)"
                return .rejected(RowIssue(.duplicatePayment, field: nil,
                    "payment reference \(ledger.reference ?? "") \(status) on account \(filenumber) by \(effects.describe(earlier)); not booked again"))
            }
            lastSeen = entry
            let result = try client.perform(planned.call, using: http)
            if result.succeeded {
                try effects.settle(entry, as: .booked, message: nil)
                snapshot.confirm(planned, ledger)
                return .booked
            }
            guard result.answerLost else {
                state.failed(result)
                // A business error, a refusal, or a request that never left: nothing was booked.
                let issue = result.rowIssue(summary: planned.summary, idempotent: true)
                try effects.settle(entry, as: .refused, message: issue.message)
                return .rejected(issue)
            }
            state.callFailed()
            let lost = "\(planned.summary): \(result.classification.message ?? result.classification.label)"
            try effects.settle(entry, as: .unknown, message: "answer lost: \(lost)")
            switch try reconcile(entry, snapshot: &snapshot, http: http) {
            case .landed:
                try effects.settle(entry, as: .booked, message: "answer lost, then found on the server by reconciliation")
                snapshot.confirm(planned, ledger)
                return .booked
            case .absent where sends < maxSends:
                continue
            case .absent:
                try effects.settle(entry, as: .refused, message: "answer lost \(sends) times, not booked (reconciled)")
                return .rejected(RowIssue(.transportError, field: nil, "\(lost) — sent \(sends) times, never booked (checked on the server); run again later"))
            case let .unsettled(why):
                try effects.settle(entry, as: .unknown, message: why)
                return .rejected(unknownOutcome(planned, "\(lost); \(why)"))
            }
        }
    }

    /// Settles what earlier runs of this file left open for the row, before the row is planned:
    /// found on the server → booked, proven absent → refused (may be sent again), else unknown.
    /// An issue when one stays unknown: the row is held, nothing of it is sent.
    func settleEarlier(row: Int, snapshot: inout AccountSnapshot, http: any HTTPTransport) throws -> RowIssue? {
        for entry in try effects.openEntries(sourceRow: row) {
            switch try reconcile(entry, snapshot: &snapshot, http: http) {
            case .landed:
                try effects.settle(entry, as: .booked, message: "reconciled by run \(effects.runId): found on the server")
            case .absent:
                try effects.settle(entry, as: .refused, message: "reconciled by run \(effects.runId): not on the server")
            case let .unsettled(why):
                try effects.settle(entry, as: .unknown, message: why)
                return RowIssue(.outcomeUnknown, field: nil,
                    "\(entry.endpoint) sent by \(effects.describe(entry)): outcome unknown and not re-sent — \(why); \(Self.advice(entry.read))")
            }
        }
        return nil
    }

    func unknownOutcome(_ planned: PlannedCall, _ why: String) -> RowIssue {
        RowIssue(.outcomeUnknown, field: nil, "\(planned.summary): outcome unknown and not re-sent — \(why); \(Self.advice(SettlingReads.read(of: planned.call)))")
    }

    /// What an operator checks for an unknown outcome, and how they record what they found.
    static func advice(_ read: SettlingRead) -> String {
        let what = read.listing.map { "the account's \($0.records) (\($0.endpoint))" } ?? "the account (no read of the API lists this write)"
        return "check \(what) by hand, then record it with `scollect-etl settle RUN ROW --as confirmed|absent`"
    }

    /// The account's records matching the write, counted just before it is sent. Payments and
    /// phones come from the account's reads; notes and attempts are read once per account, just
    /// before its first such write of the run; a write no read lists has none.
    func baseline(_ intent: LedgerIntent, filenumber: String, snapshot: inout AccountSnapshot, http: any HTTPTransport) throws -> [String: Int]? {
        let counts: [String: Int]
        switch intent.read {
        case .payments:
            guard let payments = snapshot.paymentCounts else { return nil }
            counts = Dictionary(uniqueKeysWithValues: payments.map { ($0.key.description, $0.value) })
        case .phones:
            counts = Dictionary(uniqueKeysWithValues: snapshot.phoneDigits.map { ($0, 1) })
        case .notes, .attempts:
            if snapshot.recordCounts[intent.read] == nil,
               case let .success(read)? = try SettlingReads.counts(intent.read, filenumber: filenumber, accountKnown: true,
                                                                   client: client, http: http, state: state) {
                snapshot.recordCounts[intent.read] = read
            }
            guard let read = snapshot.recordCounts[intent.read] else { return nil }
            counts = read
        case .none:
            return nil
        }
        return Dictionary(uniqueKeysWithValues: intent.items.tally.keys.map { ($0, counts[$0, default: 0]) })
    }

    /// Reads the account's records of the entry's kind now and decides on the entry; refreshes
    /// the snapshot's counts.
    func reconcile(_ entry: LedgerEntry, snapshot: inout AccountSnapshot, http: any HTTPTransport) throws -> OutcomeReconciler.Verdict {
        guard let read = try SettlingReads.counts(entry.read, filenumber: entry.filenumber, accountKnown: true,
                                                  client: client, http: http, state: state) else {
            return .unsettled("no read of the API lists this write")
        }
        switch read {
        case let .failure(issue):
            return .unsettled("could not read the account's records: \(issue.message)")
        case let .success(counts):
            snapshot.refresh(entry.read, counts)
            let journal = effects.journal
            return OutcomeReconciler.verdict(
                for: entry, server: counts,
                bookedLater: try journal.bookedItems(filenumber: entry.filenumber, read: entry.read, after: entry.sequence),
                bookedEver: try journal.bookedItems(filenumber: entry.filenumber, read: entry.read),
                openLater: try journal.openEntries(filenumber: entry.filenumber, read: entry.read, after: entry.sequence, sharing: entry.items))
        }
    }

    /// `getpayments`, counted by date and amount (see `SettlingReads.counts`).
    func serverCounts(filenumber: String, http: any HTTPTransport, accountKnown: Bool) throws -> Result<[PaymentKey: Int], RowIssue> {
        switch try SettlingReads.counts(.payments, filenumber: filenumber, accountKnown: accountKnown, client: client, http: http, state: state)! {
        case let .failure(issue): return .failure(issue)
        case let .success(counts):
            return .success(Dictionary(uniqueKeysWithValues: counts.compactMap { key, count in PaymentKey(journalText: key).map { ($0, count) } }))
        }
    }
}

extension AccountSnapshot {
    mutating func add(_ items: [PaymentKey]) {
        guard paymentCounts != nil else { return }
        for item in items { paymentCounts![item, default: 0] += 1 }
    }

    /// A journaled write confirmed: the snapshot holds what it added.
    mutating func confirm(_ planned: PlannedCall, _ intent: LedgerIntent) {
        apply(planned.effect)
        guard intent.read == .notes || intent.read == .attempts, recordCounts[intent.read] != nil else { return }
        for item in intent.items { recordCounts[intent.read]![item, default: 0] += 1 }
    }

    /// The account's records of a kind as a settling read found them.
    mutating func refresh(_ read: SettlingRead, _ counts: [String: Int]) {
        switch read {
        case .payments:
            paymentCounts = Dictionary(uniqueKeysWithValues: counts.compactMap { key, count in PaymentKey(journalText: key).map { ($0, count) } })
        case .phones: phoneDigits.formUnion(counts.keys)
        case .notes, .attempts: recordCounts[read] = counts
        case .none: break
        }
    }
}
