import Foundation

/// Sends the writes that must happen exactly once (payments) through the effect journal:
/// an entry booked by any earlier run is skipped; a client reference already booked on the
/// account is refused as a duplicate; an entry whose answer was lost — in this run or in one
/// that died — is reconciled against `getpayments` before anything is re-sent, and re-sent
/// only when reconciliation proves it absent.
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
    /// answer was lost is counted but not judged: the reconciliation read that follows has
    /// retries and decides that.
    let state: RunState
    /// Sends of one write whose answer was lost and that reconciliation proved absent each time.
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
            let baseline = snapshot.paymentCounts.map { counts in
                Dictionary(uniqueKeysWithValues: ledger.items.tally.keys.map { ($0, counts[$0, default: 0]) })
            }
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
                snapshot.add(ledger.items)
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

    func unknownOutcome(_ planned: PlannedCall, _ why: String) -> RowIssue {
        RowIssue(.outcomeUnknown, field: nil, "\(planned.summary): outcome unknown and not re-sent — \(why); check the account's payments by hand")
    }

    /// Reads the account's payments now and decides on the entry; refreshes the snapshot's counts.
    func reconcile(_ entry: LedgerEntry, snapshot: inout AccountSnapshot, http: any HTTPTransport) throws -> PaymentReconciler.Verdict {
        switch try serverCounts(filenumber: entry.filenumber, http: http, accountKnown: true) {
        case let .failure(issue):
            return .unsettled("could not read the account's payments: \(issue.message)")
        case let .success(counts):
            snapshot.paymentCounts = counts
            let journal = effects.journal
            return PaymentReconciler.verdict(for: entry, server: counts,
                                             bookedLater: try journal.bookedItems(filenumber: entry.filenumber, after: entry.sequence),
                                             bookedEver: try journal.bookedItems(filenumber: entry.filenumber),
                                             openLater: try journal.openEntries(filenumber: entry.filenumber, after: entry.sequence))
        }
    }

    /// `getpayments`, counted by date and amount. An account without payments counts nothing;
    /// an unknown account is a reject. The API may answer an account without payments with its
    /// "does not exist" error: once the account is known to exist (read before, or confirmed
    /// with `getaccount` now), that means no payments.
    func serverCounts(filenumber: String, http: any HTTPTransport, accountKnown: Bool) throws -> Result<[PaymentKey: Int], RowIssue> {
        let result = try client.perform(APIPath.accountRead("getpayments", filenumber), using: http)
        switch result.classification {
        case .success:
            let items = (result.json?["result"]?.arrayValue ?? []).compactMap { item -> PaymentKey? in
                guard let date = item["paymentdate"]?.stringValue, let amount = item["paymentamount"]?.stringValue else { return nil }
                return PaymentKey(serverDate: date, serverAmount: amount)
            }
            return .success(items.tally)
        case .emptyResult:
            return .success([:])
        case let .errorInBody(message, _) where ResponseClass.meansNotFound(message):
            if accountKnown { return .success([:]) }
            let account = try client.perform(APIPath.accountRead("getaccount", filenumber), using: http)
            switch account.classification {
            case .success where account.json?["result"]?.arrayValue?.first?.objectValue != nil:
                return .success([:])
            case .success, .emptyResult:
                return .failure(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (getpayments: \(message))"))
            case let .errorInBody(text, _) where ResponseClass.meansNotFound(text):
                return .failure(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (getpayments: \(message))"))
            default:
                state.failed(account)
                return .failure(account.rowIssue(summary: "getaccount", idempotent: true))
            }
        default:
            state.failed(result)
            return .failure(result.rowIssue(summary: "getpayments", idempotent: true))
        }
    }
}

extension AccountSnapshot {
    mutating func add(_ items: [PaymentKey]) {
        guard paymentCounts != nil else { return }
        for item in items { paymentCounts![item, default: 0] += 1 }
    }
}
