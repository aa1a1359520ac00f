import Foundation
import Logging

/// `rollback RUN`: puts back the `updatedbase` fields a run changed, from the previous values
/// its journal recorded. A field someone changed since the run (its value is neither the run's
/// nor the previous one) is left as it is and reported. Inserts the API cannot delete (phones,
/// notes, payments) are listed, not undone. The rollback is itself a run in the journal, with
/// its own change records, so it can be rolled back too.
public final class RollbackRunner {
    public struct Options {
        public var dryRun = false
        public var requestsPerSecond = 20.0
        /// The tenant's shared rate (`tenant_requests_per_second`; nil: `requestsPerSecond`): a
        /// rollback leases its send slots from the tenant's budget in the journal, as runs do.
        public var tenantRequestsPerSecond: Double?
        public var maxInFlight = 4
        public var log: Logger = .silent
        public init() {}
    }

    /// One field of one account, as the run left it.
    public struct FieldChange: Sendable {
        public let filenumber: String
        public let field: String
        /// Before the run's first change of the field.
        public let previous: String?
        /// After the run's last change of the field.
        public let runValue: String
        public let normalizer: String?
        /// A sensitive previous value the journal did not keep or cannot open: not restorable.
        public var previousWithheld = false
    }

    public enum FieldOutcome: Sendable {
        case restored
        /// The account already holds the previous value (the run's call never took effect).
        case alreadyPrevious
        /// Changed by someone since the run: left alone.
        case changedSince(current: String?)
        case failed(String)
        /// `--dry-run`: would be restored.
        case wouldRestore
    }

    public struct Report: Sendable {
        public var rollbackId = ""
        public var runId = ""
        public var outcomes: [(FieldChange, FieldOutcome)] = []
        /// Inserts of the run that no API call can undo: `R3001 insertphone 205-555-0134`.
        public var notUndone: [String] = []
        public var accountsMissing: [String] = []
        public var exitCode: ExitCode = .done
        public var abortReason: String?
        public var auditPath: String?

        public var restoredCount: Int { outcomes.filter { if case .restored = $0.1 { return true } else { return false } }.count }
        public var changedSince: [(FieldChange, String?)] {
            outcomes.compactMap { if case let .changedSince(current) = $0.1 { return ($0.0, current) } else { return nil } }
        }
    }

    let journal: RunJournal
    let runId: String
    let target: RunTarget
    let options: Options

    public init(journal: RunJournal, runId: String, target: RunTarget, options: Options = Options()) {
        self.journal = journal
        self.runId = runId
        self.target = target
        self.options = options
    }

    /// The run's field changes, one per account and field: the first previous value, the last
    /// value written. Changes whose call failed are left out; changes recorded as sent (the
    /// run was killed) are kept: the comparison with the account settles them.
    public static func fieldChanges(_ records: [ChangeRecord]) -> [FieldChange] {
        var order: [String] = []
        var byKey: [String: FieldChange] = [:]
        for record in records where record.state != .failed {
            guard let field = record.field else { continue }
            let key = record.filenumber.uppercased() + "\u{1F}" + field
            if let earlier = byKey[key] {
                byKey[key] = FieldChange(filenumber: earlier.filenumber, field: field, previous: earlier.previous, runValue: record.newValue,
                                         normalizer: record.normalizer, previousWithheld: earlier.previousWithheld || record.previousWithheld)
            } else {
                order.append(key)
                byKey[key] = FieldChange(filenumber: record.filenumber, field: field, previous: record.previous, runValue: record.newValue,
                                         normalizer: record.normalizer, previousWithheld: record.previousWithheld)
            }
        }
        return order.map { byKey[$0]! }
    }

    public func run(reportFolder: String) -> Report {
        var report = Report()
        report.runId = runId
        let records: [ChangeRecord]
        let payments: [LedgerEntry]
        do {
            guard try journal.run(id: runId) != nil else {
                report.exitCode = .badPipelineOrArguments
                report.abortReason = "no run \(runId) in the journal \(journal.path) (scollect-etl runs lists them)"
                return report
            }
            records = try journal.changes(runId: runId)
            payments = try journal.entries(runId: runId)
        } catch {
            report.exitCode = .badPipelineOrArguments
            report.abortReason = "\(error)"
            return report
        }
        let changes = RollbackRunner.fieldChanges(records)
        report.notUndone = records.filter { $0.field == nil && $0.state != .failed }.map { "\($0.filenumber) \($0.newValue)" + ($0.state == .sent ? " (answer not received)" : "") }
            + payments.filter { $0.state != .refused }.map { "\($0.filenumber) \($0.endpoint) row \($0.sourceRow) (\($0.state.rawValue))" }

        let rollbackId = "rollback-" + RunReports.makeRunId()
        report.rollbackId = rollbackId
        let reports: RunReports
        do {
            reports = try RunReports(reportsFolder: reportFolder, runId: rollbackId, auditHeader: [
                ("tool", .string("scollect-etl")), ("rollback_id", .string(rollbackId)), ("rolls_back", .string(runId)),
                ("target", .string(target.description)), ("started", .string(AuditReport.timestamp(Date()))),
                ("dry_run", .bool(options.dryRun)),
            ], rejectHeader: nil)
            report.auditPath = reports.folder + "/audit.jsonl.gz"
            if !options.dryRun {
                try journal.beginRun(id: rollbackId, pipeline: "rollback", inputName: runId, inputDigest: "rollback:" + runId, target: target.description)
            }
        } catch {
            report.exitCode = .inputHeld
            report.abortReason = "\(error)"
            return report
        }

        // The session runs take: the tenant's shared rate budget, the login, the worker pool.
        var settings = PipelineConfig.Target.embeddedSandbox(requestsPerSecond: options.requestsPerSecond)
        settings.tenantRequestsPerSecond = options.tenantRequestsPerSecond
        settings.maxInFlight = options.maxInFlight
        let session = APISession(settings: settings, target: target, audit: reports.audit, health: APIHealth(), journalStore: journal.store)
        defer { session.shutdown() }
        session.client.warn = options.log
        if let (code, reason) = session.logIn() {
            report.exitCode = code
            report.abortReason = reason
        }

        if report.abortReason == nil {
            (report.outcomes, report.accountsMissing) = restoreAll(changes, rollbackId: rollbackId, client: session.client, pool: session.pool)
            let failures = report.outcomes.filter { if case .failed = $0.1 { return true } else { return false } }.count
            if failures > 0 {
                report.exitCode = .doneWithRejects
                report.abortReason = "\(failures) field(s) could not be restored (see the audit report)"
            } else if !report.changedSince.isEmpty || !report.accountsMissing.isEmpty {
                report.exitCode = .doneWithRejects
            }
        }
        _ = reports.close(log: options.log)
        if !options.dryRun {
            try? journal.finishRun(id: rollbackId, exitCode: report.exitCode.rawValue, summary: JSONValue.object([
                ("rolls_back", .string(runId)), ("restored", .number(Double(report.restoredCount))),
                ("changed_since", .number(Double(report.changedSince.count))), ("not_undone", .number(Double(report.notUndone.count))),
            ]).serialized)
        }
        return report
    }

    /// Every account's fields, one account per worker of `pool`: the outcomes account by
    /// account (in the order of their first change), and the accounts the API no longer knows.
    func restoreAll(_ changes: [FieldChange], rollbackId: String, client: ScollectClient, pool: WorkerPool) -> (outcomes: [(FieldChange, FieldOutcome)], missing: [String]) {
        var accounts: [String] = []
        var fieldsOf: [String: [FieldChange]] = [:]
        for change in changes {
            let key = change.filenumber.uppercased()
            if fieldsOf[key] == nil { accounts.append(key) }
            fieldsOf[key, default: []].append(change)
        }
        var outcomesByAccount = [[(FieldChange, FieldOutcome)]](repeating: [], count: accounts.count)
        var missing = [Bool](repeating: false, count: accounts.count)
        let lock = NSLock()
        pool.run(tasks: accounts.count) { [self] index, http in
            let result = restore(fieldsOf[accounts[index]]!, rollbackId: rollbackId, client: client, http: http)
            lock.lock()
            outcomesByAccount[index] = result.outcomes
            missing[index] = result.missing
            lock.unlock()
        }
        return (outcomesByAccount.flatMap { $0 }, accounts.enumerated().filter { missing[$0.offset] }.map(\.element))
    }

    /// Reads one account and puts back each field the run changed that still holds the run's value.
    func restore(_ changes: [FieldChange], rollbackId: String, client: ScollectClient, http: any HTTPTransport) -> (outcomes: [(FieldChange, FieldOutcome)], missing: Bool) {
        let filenumber = changes[0].filenumber
        func failAll(_ message: String) -> [(FieldChange, FieldOutcome)] { changes.map { ($0, .failed(message)) } }
        let current: [String: String?]
        do {
            let result = try client.perform(APIPath.accountRead("getaccount", filenumber), using: http)
            guard result.succeeded, let record = result.json?["result"]?.arrayValue?.first?.objectValue else {
                if case let .errorInBody(message, _) = result.classification, ResponseClass.meansNotFound(message) { return ([], true) }
                return (failAll("getaccount: \(result.classification.message ?? result.classification.label)"), false)
            }
            current = Dictionary(record.map { ($0.0, $0.1.stringValue) }, uniquingKeysWith: { first, _ in first })
        } catch {
            return (failAll("\(error)"), false)
        }
        var outcomes: [(FieldChange, FieldOutcome)] = []
        var toRestore: [FieldChange] = []
        for change in changes {
            if change.previousWithheld {
                outcomes.append((change, .failed(JournalCipher.cannotRestore(field: change.field))))
                continue
            }
            let normalizer = change.normalizer.flatMap { NormalizerRegistry.make($0) }
            let now = current[change.field] ?? nil
            if FieldComparison.same(now, change.runValue, normalizer: normalizer) {
                toRestore.append(change)
            } else if FieldComparison.same(now, change.previous, normalizer: normalizer) {
                outcomes.append((change, .alreadyPrevious))
            } else {
                outcomes.append((change, .changedSince(current: now)))
            }
        }
        if options.dryRun { return (outcomes + toRestore.map { ($0, .wouldRestore) }, false) }
        let records = (try? journal.recordChanges(toRestore.map {
            ChangeRecord(runId: rollbackId, filenumber: $0.filenumber, endpoint: UpdateDbaseWriter.name, field: $0.field,
                         previous: $0.runValue, newValue: $0.previous ?? "", normalizer: $0.normalizer, sourceRow: 0)
        })) ?? []
        for (index, change) in toRestore.enumerated() {
            let body = JSONValue.strings([("filenumber", change.filenumber), ("fieldname", change.field), ("fieldvalue", change.previous ?? "")])
            do {
                let result = try client.perform(APICall(method: "PUT", endpoint: UpdateDbaseWriter.name, path: "/updatedbase", body: body,
                                                        filenumber: change.filenumber, idempotent: true), using: http)
                if result.succeeded {
                    outcomes.append((change, .restored))
                    if index < records.count { try? journal.settleChanges([records[index].id], as: .made) }
                } else {
                    outcomes.append((change, .failed("updatedbase: \(result.classification.message ?? result.classification.label)")))
                    if index < records.count { try? journal.settleChanges([records[index].id], as: .failed) }
                }
            } catch {
                outcomes.append((change, .failed("\(error)")))
            }
        }
        return (outcomes, false)
    }
}
