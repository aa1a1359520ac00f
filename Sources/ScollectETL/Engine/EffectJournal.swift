import Foundation

/// Every call of a load run that changes the server goes through here, recorded in the run
/// journal before it is sent and settled after:
/// - every write not safe to send twice (payments, plans, phones, notes, attempts, callbacks,
///   Factors Network notes) as a **ledger entry** (exactly once: an entry booked by any run is
///   never sent again, a lost answer is settled by a read before anything is re-sent —
///   `LedgerExecutor` drives them);
/// - every other write as a **change record**, with the value it replaces (for `rollback`).
final class EffectJournal: @unchecked Sendable {
    let journal: RunJournal
    let runId: String
    let pipeline: String
    let inputName: String
    let inputDigest: String
    /// The name of a field's normaliser, kept with its change records so rollback compares
    /// values as the run did.
    private let normalizerName: (String) -> String?
    /// Settlements of idempotent changes not committed yet (`settleChanges(deferrable:)`).
    private var pending: [(Int64, ChangeRecord.State)] = []
    private let pendingLock = NSLock()

    init(journal: RunJournal, runId: String, pipeline: String, inputName: String, inputDigest: String,
         normalizerName: @escaping (String) -> String?) {
        self.journal = journal
        self.runId = runId
        self.pipeline = pipeline
        self.inputName = inputName
        self.inputDigest = inputDigest
        self.normalizerName = normalizerName
    }

    // MARK: change records

    /// What an earlier run of this file did, by change records, with a call of this row that has
    /// nothing to compare it against (permissions), or with an insert recorded by a journal from
    /// before every insert was a ledger entry: nil: send it; `.made`: skip it; `.sent`: its
    /// answer was lost.
    func earlierInsert(_ plannedCall: PlannedCall, sourceRow: Int) throws -> ChangeRecord.State? {
        var nothingToCompare = false
        if case .none = plannedCall.effect { nothingToCompare = true }
        guard plannedCall.ledger?.read != .payments, nothingToCompare || !plannedCall.call.idempotent else { return nil }
        return try journal.earlierInsert(pipeline: pipeline, inputDigest: inputDigest, excludingRun: runId,
                                         sourceRow: sourceRow, filenumber: plannedCall.call.filenumber ?? "",
                                         endpoint: plannedCall.call.endpoint, description: plannedCall.summary)
    }

    /// Records the row's calls that are not ledger entries, with the values they replace; the
    /// record ids by index in `planned`.
    func recordChanges(_ planned: [PlannedCall], snapshot: AccountSnapshot, sourceRow: Int) throws -> [Int: Int64] {
        var indices: [Int] = []
        var records: [ChangeRecord] = []
        for (index, plannedCall) in planned.enumerated() where plannedCall.ledger == nil {
            let filenumber = plannedCall.call.filenumber ?? ""
            if case let .setField(field, value) = plannedCall.effect {
                records.append(ChangeRecord(runId: runId, filenumber: filenumber, endpoint: plannedCall.call.endpoint, field: field,
                                            previous: snapshot.fields[field] ?? nil, newValue: value, normalizer: normalizerName(field),
                                            sourceRow: sourceRow))
            } else {
                records.append(ChangeRecord(runId: runId, filenumber: filenumber, endpoint: plannedCall.call.endpoint, field: nil,
                                            previous: nil, newValue: plannedCall.summary, normalizer: nil, sourceRow: sourceRow))
            }
            indices.append(index)
        }
        let settling = takeDeferredSettlements()
        let saved: [ChangeRecord]
        do {
            saved = try journal.recordChanges(records, settling: settling)
        } catch {
            deferSettlements(settling)
            throw error
        }
        var ids: [Int: Int64] = [:] // a loop, not zip and a key path: both instantiated per account
        ids.reserveCapacity(indices.count)
        for (index, record) in zip(indices, saved) { ids[index] = record.id }
        return ids
    }

    /// The row's change records, once its calls are over: made or failed. Those of idempotent
    /// calls (`deferrable`) ride along with the next commit of any worker (`recordChanges`) or
    /// `flushSettlements`: one commit per account instead of two. A change a killed run left
    /// `sent` means what it always did for an idempotent update (sent, answer unknown: a
    /// rollback compares it with the account). Others (an insert recorded as a change, whose
    /// `made` a later run relies on) are settled at once, as before.
    func settleChanges(made: [Int64], failed: [Int64], deferrable: Bool) {
        let settled = made.map { ($0, ChangeRecord.State.made) } + failed.map { ($0, ChangeRecord.State.failed) }
        if deferrable { deferSettlements(settled) } else { try? journal.settleChanges(settled) }
    }

    /// Commits the settlements still waiting (the end of a batch).
    func flushSettlements() {
        try? journal.settleChanges(takeDeferredSettlements())
    }

    private func deferSettlements(_ settled: [(Int64, ChangeRecord.State)]) {
        guard !settled.isEmpty else { return }
        pendingLock.lock()
        pending.append(contentsOf: settled)
        pendingLock.unlock()
    }

    private func takeDeferredSettlements() -> [(Int64, ChangeRecord.State)] {
        pendingLock.lock()
        defer { pendingLock.unlock() }
        let taken = pending
        pending.removeAll(keepingCapacity: true)
        return taken
    }

    // MARK: ledger entries

    func key(_ intent: LedgerIntent) -> LedgerKey {
        LedgerKey(pipeline: pipeline, inputDigest: inputDigest, key: intent.key)
    }

    func isBooked(_ intent: LedgerIntent) throws -> Bool {
        try journal.entry(key(intent))?.state == .booked
    }

    func entry(_ intent: LedgerIntent) throws -> LedgerEntry? {
        try journal.entry(key(intent))
    }

    /// Checks and records the intent to send a ledger entry in one transaction, committed before
    /// the call is sent: still as last seen (`expecting`), no other entry with its reference.
    func claim(_ planned: PlannedCall, _ intent: LedgerIntent, expecting: LedgerEntry?, baseline: [String: Int]?) throws -> RunJournal.Claim {
        try journal.claim(key(intent), expecting: expecting?.sequence, runId: runId, inputName: inputName, sourceRow: intent.sourceRow,
                          filenumber: planned.call.filenumber ?? "", endpoint: planned.call.endpoint, reference: intent.reference,
                          read: intent.read, items: intent.items, baseline: baseline, maskedBody: planned.call.body.map { Masking.mask($0).serialized } ?? "")
    }

    func settle(_ entry: LedgerEntry, as state: LedgerState, message: String?) throws {
        try journal.settle(entry, as: state, message: message)
    }

    func describe(_ entry: LedgerEntry) -> String { journal.describe(entry) }

    /// Where the rows of a batch ended in this run.
    func recordRowOutcomes(_ outcomes: [(row: Int, outcome: String, reason: String?)]) throws {
        try journal.recordRowOutcomes(pipeline: pipeline, inputDigest: inputDigest, runId: runId, outcomes)
    }

    /// Rows of this file an earlier run settled for good, with that run's id.
    func settledRows(among rows: [Int]) throws -> [Int: String] {
        try journal.settledRows(pipeline: pipeline, inputDigest: inputDigest, among: rows)
    }

    /// This row's entries of this file that earlier runs left open (`sent`, `unknown`). The rows
    /// that have any are read once, at the first call: no other run of this pipeline can open
    /// new ones while this run holds the pipeline's lock (one settled by hand meanwhile is only
    /// read for nothing), and a row without one costs no query (most rows of every run).
    func openEntries(sourceRow: Int) throws -> [LedgerEntry] {
        guard try rowsWithOpenEntries().contains(sourceRow) else { return [] }
        return try journal.openEntries(pipeline: pipeline, inputDigest: inputDigest, sourceRow: sourceRow, excludingRun: runId)
    }

    private var openRows: Set<Int>?
    private let openRowsLock = NSLock()

    private func rowsWithOpenEntries() throws -> Set<Int> {
        openRowsLock.lock()
        defer { openRowsLock.unlock() }
        if let openRows { return openRows }
        let rows = try journal.rowsWithOpenEntries(pipeline: pipeline, inputDigest: inputDigest, excludingRun: runId)
        openRows = rows
        return rows
    }
}
