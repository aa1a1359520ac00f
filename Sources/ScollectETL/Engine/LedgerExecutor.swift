import Foundation

/// Sends the writes that must happen exactly once (payments) through the run journal:
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

    let journal: RunJournal
    let client: ScollectClient
    let runId: String
    let pipeline: String
    let inputName: String
    let inputDigest: String
    /// Sends of one write whose answer was lost and that reconciliation proved absent each time.
    var maxSends: Int { client.retryPolicy.maxAttempts }
    /// Told of every call that failed (for the failed-call count and the API-down check).
    let onFailedCall: (APIResult) -> Void
    /// Told of a write whose answer was lost: counted, but not taken as the API being down —
    /// the reconciliation read that follows has retries and decides that.
    let onLostAnswer: () -> Void
    let issueFor: (APIResult, String, Bool) -> RowIssue

    init(journal: RunJournal, client: ScollectClient, runId: String, pipeline: String, inputName: String, inputDigest: String,
         onFailedCall: @escaping (APIResult) -> Void, onLostAnswer: @escaping () -> Void,
         issueFor: @escaping (APIResult, String, Bool) -> RowIssue) {
        self.journal = journal
        self.client = client
        self.runId = runId
        self.pipeline = pipeline
        self.inputName = inputName
        self.inputDigest = inputDigest
        self.onFailedCall = onFailedCall
        self.onLostAnswer = onLostAnswer
        self.issueFor = issueFor
    }

    func isBooked(_ intent: LedgerIntent) throws -> Bool {
        try journal.entry(LedgerKey(pipeline: pipeline, inputDigest: inputDigest, key: intent.key))?.state == .booked
    }

    func execute(_ planned: PlannedCall, ledger: LedgerIntent, snapshot: inout AccountSnapshot, http: CurlHTTPClient) throws -> Outcome {
        let filenumber = planned.call.filenumber ?? ""
        let key = LedgerKey(pipeline: pipeline, inputDigest: inputDigest, key: ledger.key)
        if let existing = try journal.entry(key) {
            switch existing.state {
            case .booked:
                return .alreadyBooked(journal.describe(existing))
            case .sent, .unknown:
                // An earlier run sent it and never learnt the outcome.
                switch try reconcile(existing, snapshot: &snapshot, http: http) {
                case .landed:
                    try journal.settle(existing, as: .booked, message: "reconciled by run \(runId): found on the server")
                    return .booked
                case .absent:
                    break // proven not booked: send it below
                case let .unsettled(why):
                    try journal.settle(existing, as: .unknown, message: why)
                    return .rejected(unknownOutcome(planned, why))
                }
            case .refused:
                break // the server refused it last time: nothing was booked, try again
            }
        }
        if let reference = ledger.reference, let earlier = try journal.earlierBooking(filenumber: filenumber, reference: reference, excluding: key) {
            let status = earlier.state == .booked ? "was already booked" : "may already be booked (its outcome is being checked)"
            return .rejected(RowIssue(.duplicatePayment, field: nil,
                                      "payment reference \(reference) \(status) on account \(filenumber) by \(journal.describe(earlier)); not booked again"))
        }

        var sends = 0
        while true {
            sends += 1
            let baseline = snapshot.paymentCounts.map { counts in
                Dictionary(uniqueKeysWithValues: ledger.items.tally.keys.map { ($0, counts[$0, default: 0]) })
            }
            let entry = try journal.recordIntent(key, runId: runId, inputName: inputName, sourceRow: ledger.sourceRow, filenumber: filenumber,
                                                 endpoint: planned.call.endpoint, reference: ledger.reference, items: ledger.items,
                                                 baseline: baseline, maskedBody: planned.call.body.map { Masking.mask($0).serialized } ?? "")
            let result = try client.perform(planned.call, using: http)
            if result.succeeded {
                try journal.settle(entry, as: .booked, message: nil)
                snapshot.add(ledger.items)
                return .booked
            }
            guard PipelineRunner.answerLost(result) else {
                onFailedCall(result)
                // A business error, a refusal, or a request that never left: nothing was booked.
                let issue = issueFor(result, planned.summary, true)
                try journal.settle(entry, as: .refused, message: issue.message)
                return .rejected(issue)
            }
            onLostAnswer()
            let lost = "\(planned.summary): \(result.classification.message ?? result.classification.label)"
            try journal.settle(entry, as: .unknown, message: "answer lost: \(lost)")
            switch try reconcile(entry, snapshot: &snapshot, http: http) {
            case .landed:
                try journal.settle(entry, as: .booked, message: "answer lost, then found on the server by reconciliation")
                return .booked
            case .absent where sends < maxSends:
                continue
            case .absent:
                try journal.settle(entry, as: .refused, message: "answer lost \(sends) times, not booked (reconciled)")
                return .rejected(RowIssue(.transportError, field: nil, "\(lost) — sent \(sends) times, never booked (checked on the server); run again later"))
            case let .unsettled(why):
                try journal.settle(entry, as: .unknown, message: why)
                return .rejected(unknownOutcome(planned, "\(lost); \(why)"))
            }
        }
    }

    func unknownOutcome(_ planned: PlannedCall, _ why: String) -> RowIssue {
        RowIssue(.outcomeUnknown, field: nil, "\(planned.summary): outcome unknown and not re-sent — \(why); check the account's payments by hand")
    }

    /// Reads the account's payments now and decides on the entry; refreshes the snapshot's counts.
    func reconcile(_ entry: LedgerEntry, snapshot: inout AccountSnapshot, http: CurlHTTPClient) throws -> PaymentReconciler.Verdict {
        switch try serverCounts(filenumber: entry.filenumber, http: http) {
        case let .failure(issue):
            return .unsettled("could not read the account's payments: \(issue.message)")
        case let .success(counts):
            snapshot.paymentCounts = counts
            return PaymentReconciler.verdict(for: entry, server: counts,
                                             bookedLater: try journal.bookedItems(filenumber: entry.filenumber, after: entry.sequence),
                                             bookedEver: try journal.bookedItems(filenumber: entry.filenumber),
                                             openLater: try journal.openEntries(filenumber: entry.filenumber, after: entry.sequence))
        }
    }

    /// `getpayments`, counted by date and amount. An account without payments counts nothing;
    /// an unknown account is a reject.
    func serverCounts(filenumber: String, http: CurlHTTPClient) throws -> Result<[PaymentKey: Int], RowIssue> {
        let result = try client.perform(APICall(method: "GET", endpoint: "getpayments", path: "/getpayments/\(PipelineRunner.pathComponent(filenumber))",
                                                filenumber: filenumber, idempotent: true), using: http)
        switch result.classification {
        case .success:
            let items = (result.json?["result"]?.arrayValue ?? []).compactMap { item -> PaymentKey? in
                guard let date = item["paymentdate"]?.stringValue, let amount = item["paymentamount"]?.stringValue else { return nil }
                return PaymentKey(serverDate: date, serverAmount: amount)
            }
            return .success(items.tally)
        case .emptyResult:
            return .success([:])
        case let .errorInBody(message, _) where PipelineRunner.meansNotFound(message):
            return .failure(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (getpayments: \(message))"))
        default:
            onFailedCall(result)
            return .failure(issueFor(result, "getpayments", true))
        }
    }
}

extension AccountSnapshot {
    mutating func add(_ items: [PaymentKey]) {
        guard paymentCounts != nil else { return }
        for item in items { paymentCounts![item, default: 0] += 1 }
    }
}
