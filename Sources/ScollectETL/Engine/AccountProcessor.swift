import Foundation

/// The API side of one account's rows: the reads the writers need (or the portfolio listing's
/// copy), the protected statuses, planning only the calls that change something, and making
/// them in order through the effect journal. The rows of one account stay together, in file
/// order, on one worker; accounts of a batch run side by side on the worker pool.
final class AccountProcessor: @unchecked Sendable {
    let config: PipelineConfig
    let client: ScollectClient
    let state: RunState
    /// nil without a run journal (no payment writers then).
    let effects: EffectJournal?
    let ledger: LedgerExecutor?
    /// Accounts read with their portfolio at the start of the run: no read of their own.
    let listedAccounts: [String: PortfolioListing.Account]
    let dryRun: Bool
    let isInterrupted: () -> Bool
    /// What every account is read for.
    let reads: Set<AccountRead>
    /// The fields of a getaccount record anything here reads: the writers' and protection's.
    let accountFields: AnswerFields

    init(config: PipelineConfig, client: ScollectClient, state: RunState, effects: EffectJournal?,
         listedAccounts: [String: PortfolioListing.Account], options: RunOptions) {
        self.config = config
        self.client = client
        self.state = state
        self.effects = effects
        self.ledger = effects.map { LedgerExecutor(effects: $0, client: client, state: state) }
        self.listedAccounts = listedAccounts
        self.dryRun = options.dryRun
        self.isInterrupted = options.isInterrupted
        var reads = config.writers.reduce(into: Set<AccountRead>()) { $0.formUnion($1.reads) }
        // A protected status can only be seen on the account's record.
        if !config.protection.accountStatuses.isEmpty { reads.insert(.account) }
        self.reads = reads
        accountFields = AnswerFields(config.writers.reduce(into: AccountSnapshot.statusFields) { $0.formUnion($1.readFields) })
    }

    /// Every row of the batch's outcome, in the batch's order.
    func process(_ batch: BatchAssembler.Batch, on pool: WorkerPool) -> [RowOutcome] {
        var groupIndex: [String: Int] = [:]
        var groups: [[Int]] = []
        for (index, row) in batch.rows.enumerated() {
            if let g = groupIndex[row.filenumber] { groups[g].append(index) } else {
                groupIndex[row.filenumber] = groups.count
                groups.append([index])
            }
        }
        var outcomes = [RowOutcome?](repeating: nil, count: batch.rows.count)
        let lock = NSLock()
        pool.run(tasks: groups.count) { [self] groupNumber, http in
            let rows = groups[groupNumber].map { batch.rows[$0] }
            let results: [RowOutcome]
            if let blocker = batch.planBlockers[rows[0].filenumber] {
                // A plan missing an installment is a wrong plan: none of it is sent.
                results = rows.map { _ in .rejected(RowIssue(.planIncomplete, field: blocker.field,
                    "the plan of account \(rows[0].filenumber) was not sent: \(blocker.message)"), callsMade: []) }
            } else {
                results = process(rows, http: http)
            }
            lock.lock()
            for (offset, index) in groups[groupNumber].enumerated() { outcomes[index] = results[offset] }
            lock.unlock()
        }
        effects?.flushSettlements()
        return outcomes.map { $0! }
    }

    /// The rows of one account, in file order.
    func process(_ rows: [NormalizedRow], http: any HTTPTransport) -> [RowOutcome] {
        let filenumber = rows[0].filenumber
        func rejectAll(_ issue: RowIssue) -> [RowOutcome] { rows.map { _ in .rejected(issue, callsMade: []) } }
        if let fatal = state.fatal {
            return rejectAll(RowIssue(.notAttempted, field: nil, "not attempted: the run was stopping (\(fatal.1)); running it again sends this row"))
        }
        if isInterrupted() {
            return rejectAll(RowIssue(.interrupted, field: nil, "not attempted: the run was interrupted; running it again sends this row"))
        }
        do {
            // A resumed payment import: when the journal shows every write of the account booked,
            // there is nothing to read or send.
            if let ledger, reads.isSubset(of: [.payments]), try allBooked(rows, ledger: ledger) {
                return rows.map { _ in .alreadyBooked }
            }
            var snapshot: AccountSnapshot
            switch try read(filenumber, http: http) {
            case let .success(read): snapshot = read
            case let .failure(issue): return rejectAll(issue)
            }
            // A plan built from rows: one set of calls for all the rows, one outcome for all.
            if let planner = config.writers.first(where: \.plansWholeAccount) {
                switch planner.planAccount(rows, current: snapshot) {
                case let .failure(issue): return rejectAll(issue)
                case let .success(planned):
                    let outcome = try perform(planned, snapshot: &snapshot, sourceRow: rows[0].row, http: http)
                    return rows.map { _ in outcome }
                }
            }
            return try planAndPerform(rows, snapshot: &snapshot, http: http)
        } catch let error as ClientError {
            state.stop(error.exitCode, error.description)
            // The run stops: the account's rows were not done, and the next run resumes them.
            return rejectAll(RowIssue(.notAttempted, field: nil, error.description + "; running it again sends this row"))
        } catch {
            state.stop(.apiUnavailable, "\(error)")
            return rejectAll(RowIssue(.apiError, field: nil, "\(error)"))
        }
    }

    /// What the account holds now. An account the API does not know is rejected: a load never
    /// creates accounts; so is an account in a status the pipeline protects.
    func read(_ filenumber: String, http: any HTTPTransport) throws -> Result<AccountSnapshot, RowIssue> {
        var snapshot = AccountSnapshot()
        var readAccount = reads.contains(.account)
        var readPhones = reads.contains(.phones)
        if let listed = listedAccounts[filenumber] {
            snapshot = listed.snapshot
            readAccount = false
            readPhones = readPhones && !listed.phonesComplete
        }
        if readAccount {
            var call = APIPath.accountRead("getaccount", filenumber)
            call.answerFields = accountFields
            let answer = try client.perform(call, using: http)
            switch answer.classification {
            case .success:
                guard let record = answer.json?["result"]?.arrayValue?.first?.objectValue else {
                    return .failure(RowIssue(.apiError, field: nil, "getaccount \(filenumber): unexpected response shape"))
                }
                snapshot.fields.reserveCapacity(record.count)
                for (key, value) in record { snapshot.fields[key] = value.stringValue }
                if let status = snapshot.statuses.first(where: config.protection.protectsAccount(status:)) {
                    return .failure(RowIssue(.accountProtected, field: "statusname",
                        "account \(filenumber) is in status \(status), which the pipeline protects: nothing was changed"))
                }
            case .emptyResult:
                return .failure(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (getaccount: empty result); accounts are never created by a load"))
            case let .errorInBody(message, _) where ResponseClass.meansNotFound(message):
                return .failure(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (getaccount: \(message))"))
            default:
                state.failed(answer)
                return .failure(answer.rowIssue(summary: "getaccount", idempotent: true))
            }
        }
        if readPhones {
            let answer = try client.perform(APIPath.accountRead("getphones", filenumber), using: http)
            switch answer.classification {
            case .success:
                for phone in answer.phones {
                    snapshot.phoneDigits.insert(phone.digits)
                    if let status = phone.status { snapshot.phoneStatus[phone.digits] = status }
                    if let type = phone.type { snapshot.phoneType[phone.digits] = type }
                }
            case .emptyResult:
                break
            case let .errorInBody(message, _) where ResponseClass.meansNoPhones(message):
                break // the documented answer for an account without phones
            default:
                state.failed(answer)
                return .failure(answer.rowIssue(summary: "getphones", idempotent: true))
            }
        }
        if reads.contains(.payments), let ledger {
            // The baseline a lost answer is reconciled against; also the existence check.
            switch try ledger.serverCounts(filenumber: filenumber, http: http, accountKnown: readAccount || listedAccounts[filenumber] != nil) {
            case let .success(counts): snapshot.paymentCounts = counts
            case let .failure(issue): return .failure(issue)
            }
        }
        return .success(snapshot)
    }

    /// Writes only what changes, row by row, against the state the earlier rows left.
    func planAndPerform(_ rows: [NormalizedRow], snapshot: inout AccountSnapshot, http: any HTTPTransport) throws -> [RowOutcome] {
        var outcomes: [RowOutcome] = []
        var unsettled: String?
        for row in rows {
            // A write of this row an earlier run sent without learning its outcome is settled
            // first, planned again or not; one that stays unknown holds the row.
            if let issue = try ledger?.settleEarlier(row: row.row, snapshot: &snapshot, http: http) {
                outcomes.append(.rejected(issue, callsMade: []))
                continue
            }
            let planned: [PlannedCall]
            switch try plan(row, snapshot: snapshot) {
            case let .success(calls): planned = calls
            case let .failure(issue):
                outcomes.append(.rejected(issue, callsMade: []))
                continue
            }
            if let unsettled, planned.contains(where: { $0.ledger?.read == .payments }) {
                // Counting this account's payments can no longer tell one write from another.
                outcomes.append(.rejected(RowIssue(.accountUnsettled, field: nil, "not sent: \(unsettled)"), callsMade: []))
                continue
            }
            let outcome = try perform(planned, snapshot: &snapshot, sourceRow: row.row, http: http)
            if case let .rejected(issue, _) = outcome, issue.reason == .outcomeUnknown {
                unsettled = "an earlier payment of account \(rows[0].filenumber) (row \(row.row)) has an unknown outcome"
            }
            outcomes.append(outcome)
        }
        return outcomes
    }

    /// The row's calls, each write not safe to send twice with its ledger intent. One the journal
    /// shows booked for this row of this file is not planned again, so a later writer summarising
    /// the row's changes (a note) does not count it.
    func plan(_ row: NormalizedRow, snapshot: AccountSnapshot) throws -> Result<[PlannedCall], RowIssue> {
        var lost: PlannedCall?
        let planned = try config.writers.reduce(into: [PlannedCall]()) { calls, writer in
            for var call in writer.plan(row, current: snapshot, earlier: calls) {
                if let effects {
                    call.ledger = SettlingReads.intent(for: call, sourceRow: row.row)
                    if let intent = call.ledger, intent.read != .payments, try effects.isBooked(intent) { continue }
                    // A call with nothing to compare it against (permissions) is made once per row of a
                    // file; journals from before every insert was a ledger entry kept inserts that way too.
                    switch try effects.earlierInsert(call, sourceRow: row.row) {
                    case .made?: continue
                    case .sent? where !call.call.idempotent: lost = lost ?? call
                    default: break
                    }
                }
                calls.append(call)
            }
        }
        if let lost {
            return .failure(RowIssue(.outcomeUnknown, field: nil, "\(lost.summary): an earlier run of this file sent it and its answer was lost; not sent again — \(LedgerExecutor.advice(.none))"))
        }
        return .success(planned)
    }

    /// True when every write planned for these rows is booked in the journal. Only for
    /// pipelines whose writers plan without reading the account (payments).
    func allBooked(_ rows: [NormalizedRow], ledger: LedgerExecutor) throws -> Bool {
        let planned: [PlannedCall]
        if let planner = config.writers.first(where: \.plansWholeAccount) {
            guard case let .success(calls) = planner.planAccount(rows, current: AccountSnapshot()) else { return false }
            planned = calls
        } else {
            planned = rows.flatMap { row in config.writers.flatMap { $0.plan(row, current: AccountSnapshot()) } }
        }
        guard !planned.isEmpty else { return false }
        for call in planned {
            guard let intent = call.ledger, try ledger.isBooked(intent) else { return false }
        }
        return true
    }

    /// Makes a row's planned calls in order; stops at the first failure. Writes not safe to send
    /// twice go through the ledger; every other call is recorded as a change before it is sent.
    func perform(_ planned: [PlannedCall], snapshot: inout AccountSnapshot, sourceRow: Int, http: any HTTPTransport) throws -> RowOutcome {
        if planned.isEmpty { return .unchanged }
        if dryRun { return try count(planned, snapshot: &snapshot) }
        var made: [String] = []
        var skipped = 0
        let recorded = try effects?.recordChanges(planned, snapshot: snapshot, sourceRow: sourceRow) ?? [:]
        var madeChangeIds: Set<Int64> = []
        defer {
            effects?.settleChanges(made: Array(madeChangeIds), failed: recorded.values.filter { !madeChangeIds.contains($0) },
                                   deferrable: planned.allSatisfy { $0.ledger != nil || $0.call.idempotent })
        }
        for (callIndex, plannedCall) in planned.enumerated() {
            if let intent = plannedCall.ledger {
                guard let ledger else { throw JournalError("\(plannedCall.summary) needs the run journal") }
                switch try ledger.execute(plannedCall, ledger: intent, snapshot: &snapshot, http: http) {
                case .booked: made.append(plannedCall.summary)
                case .alreadyBooked: skipped += 1
                case let .rejected(issue): return .rejected(issue, callsMade: made)
                }
                continue
            }
            let result = try client.perform(plannedCall.call, using: http)
            guard result.succeeded else {
                state.failed(result)
                return .rejected(result.rowIssue(summary: plannedCall.summary, idempotent: plannedCall.call.idempotent), callsMade: made)
            }
            made.append(plannedCall.summary)
            if let id = recorded[callIndex] { madeChangeIds.insert(id) }
            snapshot.apply(plannedCall.effect)
        }
        if skipped > 0 && made.isEmpty { return .alreadyBooked }
        return .written(made)
    }

    /// `plan`: the calls counted and applied to the snapshot as if answered, never sent.
    func count(_ planned: [PlannedCall], snapshot: inout AccountSnapshot) throws -> RowOutcome {
        var counted = 0
        for plannedCall in planned {
            if let intent = plannedCall.ledger, let ledger, try ledger.isBooked(intent) { continue }
            state.plan(plannedCall.call.endpoint)
            counted += 1
            snapshot.apply(plannedCall.effect)
        }
        return counted > 0 ? .written(planned.map(\.summary)) : .alreadyBooked
    }
}
