import Crypto
import Foundation

/// Where a run sends its calls, resolved by the caller (pipeline target, `SCOLLECT_URL`, or
/// the embedded sandbox).
public struct RunTarget: Sendable {
    public let baseURL: String
    public let credentials: Credentials
    /// For the audit header and the summary: `embedded sandbox at http://…` or the URL.
    public let description: String
    /// The target's run journal (one per agency, shared by every pipeline); payment writers need one.
    public let journalPath: String?
    /// The second service, for pipelines with a Factors Network writer (from the environment).
    public var factorsNetwork: FactorsNetworkTarget?
    public init(baseURL: String, credentials: Credentials, description: String, journalPath: String? = nil, factorsNetwork: FactorsNetworkTarget? = nil) {
        self.factorsNetwork = factorsNetwork
        self.baseURL = baseURL
        self.credentials = credentials
        self.description = description
        self.journalPath = journalPath
    }
}

public struct RunOptions {
    /// Read this file instead of the pipeline's source (e.g. a fixed rejects report).
    public var inputOverride: String?
    /// Progress and notices; the CLI prints them to stderr.
    public var log: (String) -> Void = { _ in }
    /// Checked between batches: a run stopped this way exits 7.
    public var isInterrupted: () -> Bool = { false }
    /// `plan`: read and compare as a run would, count the writes it would make, send none.
    public var dryRun = false
    /// Load the input even though the journal shows the same file loaded before.
    public var force = false
    /// Where the run stands, after each batch and each request (a progress display); called
    /// from worker threads.
    public var progress: (@Sendable (RunProgress) -> Void)?
    /// Every request as it is answered (`--verbose`); called from worker threads. The entry's
    /// body is not masked.
    public var onRequest: (@Sendable (AuditEntry) -> Void)?
    public var toolVersion = ScollectETLVersion.current
    public init() {}
}

public enum ScollectETLVersion {
    public static let current = "0.1.0"
}

/// Runs one pipeline: read → map and normalise → read the accounts' current state → write
/// only what changed, rate-limited, in batches → reports. Every data row ends exactly once
/// as written, unchanged or rejected.
public final class PipelineRunner {
    let config: PipelineConfig
    let target: RunTarget
    let options: RunOptions
    /// Set once the run's journal is open (not for a dry run).
    var changeLog: ChangeLog?
    /// The accounts of `options.read_from_portfolios`, read before the first batch.
    var listedAccounts: [String: PortfolioListing.Account] = [:]

    public init(config: PipelineConfig, target: RunTarget, options: RunOptions = RunOptions()) {
        self.config = config
        self.target = target
        self.options = options
    }

    /// The outcome of one row after the API phase.
    enum RowOutcome {
        /// With the summaries of the calls made (`updatedbase address`), for the acknowledgement.
        case written([String])
        case unchanged
        /// Every write of the row was booked by an earlier run (a resumed payment import).
        case alreadyBooked
        case rejected(RowIssue, callsMade: [String])
    }

    public func run() -> RunSummary {
        let started = monotonicSeconds()
        var summary = RunSummary()
        summary.pipeline = config.file
        summary.target = target.description
        let inputPath = options.inputOverride ?? config.source.path
        summary.inputFile = inputPath
        func finish(_ code: ExitCode, _ reason: String? = nil) -> RunSummary {
            summary.exitCode = code
            summary.abortReason = reason
            summary.elapsedSeconds = monotonicSeconds() - started
            return summary
        }

        // Two runs of one pipeline never overlap (a slow night running into the next).
        var lock: RunLock?
        if !options.dryRun {
            do {
                lock = try RunLock(folder: config.reportsFolder, pipeline: config.name)
            } catch {
                return finish(.inputHeld, "\(error)")
            }
        }
        defer { lock?.release() }

        // Whole-file checks before anything is sent: the file opens, its header has every
        // mapped column.
        let reader: any RecordReader
        let mapper: RowMapper
        do {
            var source = config.source
            source.path = inputPath
            reader = try ReaderRegistry.open(source)
            if reader.header.isEmpty {
                // A night with nothing placed is a normal night: say so, exit 0, call nothing.
                summary.notices.append("\(URL(fileURLWithPath: inputPath).lastPathComponent) is empty: nothing to load")
                options.log("notice: \(summary.notices[0])")
                return finish(.done)
            }
            mapper = try RowMapper(config: config, header: reader.header, inputFile: inputPath)
        } catch {
            return finish(.inputHeld, "\(error)")
        }

        let runId = PipelineRunner.makeRunId()
        summary.runId = runId
        let folder = URL(fileURLWithPath: config.reportsFolder).appendingPathComponent(runId).path
        summary.reportFolder = folder
        let rejects: RejectReport
        let audit: AuditReport
        var acknowledgement: AcknowledgementReport?
        let counter: CallCounter
        let digest: String
        var journal: RunJournal?
        // Writers that book money must go through the journal: never sent without it.
        let booksPayments = config.writers.contains { $0.reads.contains(.payments) }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            digest = try PipelineRunner.sha256(ofFile: inputPath)
            if let path = target.journalPath {
                journal = try RunJournal(path: path)
                if !options.dryRun { try journal!.beginRun(id: runId, pipeline: config.name, inputName: URL(fileURLWithPath: inputPath).lastPathComponent,
                                      inputDigest: digest, target: target.description) }
            } else if booksPayments {
                return finish(.badPipelineOrArguments, "the payment writers need a run journal and none is configured")
            }
            if config.writers.contains(where: { $0.service == .factorsNetwork }) && target.factorsNetwork == nil {
                return finish(.badPipelineOrArguments, "the Factors Network writer needs FACTORS_NETWORK_URL, FACTORS_NETWORK_USER and FACTORS_NETWORK_PASSWORD")
            }
            var masks: [Int: @Sendable (String) -> String] = [:]
            for mapping in config.mapping {
                if let mask = Masking.rejectColumnMask(forField: mapping.field), let column = mapper.sourceColumn(of: mapping.field) { masks[column] = mask }
            }
            rejects = try RejectReport(path: folder + "/rejects.csv.gz", header: reader.header, columnMasks: masks)
            audit = try AuditReport(path: folder + "/audit.jsonl.gz", header: [
                ("tool", .string("scollect-etl")), ("version", .string(options.toolVersion)), ("run_id", .string(runId)),
                ("pipeline", .string(config.file)), ("input", .string(URL(fileURLWithPath: inputPath).lastPathComponent)),
                ("input_path", .string(inputPath)), ("input_sha256", .string(digest)),
                ("target", .string(target.description)), ("started", .string(AuditReport.timestamp(Date()))),
            ])
            counter = CallCounter(forwardingTo: audit)
            if let settings = config.acknowledgement, !options.dryRun {
                let name = settings.folder == nil ? "acknowledgement" : URL(fileURLWithPath: inputPath).deletingPathExtension().lastPathComponent + ".ack"
                var path = (settings.folder ?? folder) + "/" + name + "." + settings.format.rawValue
                if FileManager.default.fileExists(atPath: path) { path = (settings.folder ?? folder) + "/" + name + "." + runId + "." + settings.format.rawValue }
                if let ackFolder = settings.folder { try FileManager.default.createDirectory(atPath: ackFolder, withIntermediateDirectories: true) }
                acknowledgement = try AcknowledgementReport(path: path, format: settings.format)
                summary.acknowledgementFile = path
            }
        } catch {
            return finish(.inputHeld, "\(error)")
        }
        if let journal { changeLog = ChangeLog(journal: journal, runId: runId, pipeline: config.name, inputDigest: digest) }
        options.log("run \(runId): \(config.name), input \(inputPath)")
        options.log("reports: \(folder)")
        for notice in reader.notices { options.log("notice: \(notice)") }
        summary.notices = reader.notices
        if let journal { options.log("journal: \(journal.path)") }

        // Before any call: the same file loaded before, and the pipeline's whole-file checks.
        var verdict = FileCheckVerdict()
        do {
            if config.operations.refuseReloadedInput, !options.force, !options.dryRun,
               let earlier = try journal?.completedRun(pipeline: config.name, inputDigest: digest), earlier.runId != runId {
                verdict.heldBecause.append("\(URL(fileURLWithPath: inputPath).lastPathComponent) was already loaded by run \(earlier.runId) (\(earlier.started), exit \(earlier.exitCode ?? -1)); run with --force to load it again")
            } else if config.checks.needsFirstPass {
                var source = config.source
                source.path = inputPath
                verdict = try FileCheckPass.run(config.checks, reader: try ReaderRegistry.open(source), mapper: mapper,
                                                delimiter: config.source.delimiter, inputName: URL(fileURLWithPath: inputPath).lastPathComponent)
            }
        } catch {
            verdict.heldBecause.append("\(error)")
        }
        if !verdict.heldBecause.isEmpty {
            for reason in verdict.heldBecause { options.log("held: \(reason)") }
            _ = PipelineRunner.closeReports(rejects, audit, earlierFailure: nil, log: options.log)
            if let acknowledgement {
                // A held file is acknowledged as a whole (the run's exit and reason), not row by row.
                try? acknowledgement.finish()
                try? FileManager.default.removeItem(atPath: acknowledgement.path)
                summary.acknowledgementFile = nil
            }
            let result = finish(.inputHeld, "the file is held, no call was made: " + verdict.heldBecause.joined(separator: "; "))
            if !options.dryRun { try? journal?.finishRun(id: runId, exitCode: ExitCode.inputHeld.rawValue, summary: result.json.serialized) }
            PipelineRunner.writeSummary(result, folder: folder, reportsFolder: config.reportsFolder)
            moveInput(inputPath, exitCode: .inputHeld)
            return result
        }

        let limiter = RateLimiter(ratePerSecond: config.target.requestsPerSecond)
        let client = ScollectClient(baseURL: target.baseURL, credentials: target.credentials, limiter: limiter, audit: counter)
        client.retryPolicy = config.target.retry
        client.factorsNetwork = target.factorsNetwork.map { FactorsNetworkClient(target: $0, limiter: RateLimiter(ratePerSecond: config.target.requestsPerSecond), audit: counter, retryPolicy: config.target.retry) }
        let progress = RunProgressReporter(options: options, counters: client.counters, inputPath: inputPath, configuredReader: config.source.reader)
        client.onRequest = progress.requestAnswered
        client.warn = options.log
        client.factorsNetwork?.warn = options.log
        let pool = WorkerPool(size: config.target.maxInFlight, timeoutSeconds: config.target.timeoutSeconds)
        defer { pool.shutdown() }

        var exitCode: ExitCode?
        var abortReason: String?
        do {
            try client.ensureLoggedIn(using: CurlHTTPClient(timeoutSeconds: config.target.timeoutSeconds))
        } catch let error as ClientError {
            if case .credentialsRefused = error { exitCode = .credentialsRefused } else { exitCode = .apiUnavailable }
            abortReason = error.description
        } catch {
            exitCode = .apiUnavailable
            abortReason = "\(error)"
        }

        var reads = config.writers.reduce(into: Set<AccountRead>()) { $0.formUnion($1.reads) }
        // A protected status can only be seen on the account's record.
        if !config.protection.accountStatuses.isEmpty { reads.insert(.account) }
        let state = RunState()
        if exitCode == nil, !config.readFromPortfolios.isEmpty { readPortfolios(client: client, folder: folder, state: state) }
        let ledger = journal.map { journal in
            LedgerExecutor(journal: journal, client: client, runId: runId, pipeline: config.name,
                           inputName: URL(fileURLWithPath: inputPath).lastPathComponent, inputDigest: digest,
                           onFailedCall: { result in state.callFailed(); state.noteUnavailability(result) },
                           onLostAnswer: { state.callFailed() },
                           issueFor: PipelineRunner.issue)
        }
        // A payment plan built from rows needs all the rows of an account in one batch.
        let wholeAccounts = config.writers.contains { $0.plansWholeAccount }
        var earlierBatchAccounts = Set<String>()
        var carried: ReadResult?
        var inputExhausted = false
        var reportFailure: Error?

        // Lines of one batch are collected and written in row order at the end of the batch.
        var pendingLines: [RejectLine] = []
        var pendingAcknowledgements: [AcknowledgementReport.Line] = []
        func report(_ line: RejectLine) { pendingLines.append(line) }
        let referenceColumn = mapper.sourceColumn(of: "accountnumber")
        func acknowledge(_ record: SourceRecord?, row: Int, accepted: Bool, reason: String, changes: [String], message: String) {
            guard acknowledgement != nil else { return }
            let reference = record.flatMap { record in referenceColumn.map { record.value(at: $0) } } ?? ""
            pendingAcknowledgements.append(.init(row: row, filenumber: record.flatMap(mapper.account(of:)) ?? "", clientReference: reference,
                                                 accepted: accepted, reason: reason, changes: changes, message: message))
        }
        func flushReportLines() {
            for line in pendingLines.sorted(by: { ($0.row, $0.kind == .warning ? 0 : 1) < ($1.row, $1.kind == .warning ? 0 : 1) }) {
                do { try rejects.add(line) } catch { reportFailure = reportFailure ?? error }
            }
            pendingLines.removeAll(keepingCapacity: true)
            for line in pendingAcknowledgements.sorted(by: { $0.row < $1.row }) {
                do { try acknowledgement?.add(line) } catch { reportFailure = reportFailure ?? error }
            }
            pendingAcknowledgements.removeAll(keepingCapacity: true)
        }
        func reportWarnings(_ warnings: [RowIssue], of record: SourceRecord) {
            for warning in warnings {
                summary.warningsByReason[warning.reason, default: 0] += 1
                report(RejectLine(row: record.row, line: record.line, kind: .warning, reason: warning.reason, field: warning.field,
                                  message: warning.message, callsMade: [], values: record.values, rawText: nil))
            }
        }
        func reject(_ record: SourceRecord?, row: Int, line: Int, issue: RowIssue, others: [RowIssue] = [], callsMade: [String] = [], rawText: String? = nil) {
            summary.rejected += 1
            summary.rejectsByReason[issue.reason, default: 0] += 1
            let message = ([issue] + others).map(\.message).joined(separator: "; ")
            acknowledge(record, row: row, accepted: false, reason: issue.reason.rawValue, changes: [], message: message)
            report(RejectLine(row: row, line: line, kind: .reject, reason: issue.reason, field: issue.field, message: message,
                              callsMade: callsMade, values: record?.values ?? [], rawText: rawText))
        }

        var endOfInput = exitCode != nil
        while !endOfInput {
            if options.isInterrupted() {
                exitCode = .interrupted
                abortReason = "interrupted: rows after row \(summary.rowsRead) were not read"
                break
            }
            // 1. Read and normalise one batch (on this thread: cheap next to the API calls).
            var slots: [NormalizedRow] = []
            var batchRows = 0
            var lastFilenumber: String?
            var invalidPlanRows: [String: RowIssue] = [:]
            do {
                while true {
                    guard batchRows < config.target.batchSize || wholeAccounts else { break }
                    let next: ReadResult
                    if let pending = carried {
                        next = pending
                        carried = nil
                    } else if let read = try reader.next() {
                        next = read
                    } else {
                        inputExhausted = true
                        break
                    }
                    // The trailer row carries the control total: checked in the first pass, not a data row.
                    if config.checks.trailerCells(next, delimiter: config.source.delimiter) != nil { continue }
                    let mapped: RowMapper.Outcome?
                    var account: String?
                    if case let .record(record) = next {
                        mapped = mapper.map(record)
                        if case let .row(row)? = mapped { account = row.filenumber } else if wholeAccounts { account = mapper.account(of: record) }
                    } else {
                        mapped = nil
                    }
                    if batchRows >= config.target.batchSize {
                        // Past a full batch only to finish the last account's rows.
                        guard account != nil, account == lastFilenumber else {
                            carried = next
                            break
                        }
                    }
                    if account != nil { lastFilenumber = account }
                    batchRows += 1
                    summary.rowsRead += 1
                    switch next {
                    case let .malformed(row, line, message, rawText):
                        reject(nil, row: row, line: line, issue: RowIssue(.malformedRow, field: nil, "\(URL(fileURLWithPath: inputPath).lastPathComponent) row \(row) (line \(line)): \(message)"), rawText: rawText)
                    case let .record(record):
                        switch mapped! {
                        case let .row(row):
                            if let issue = rowCheckIssue(row, verdict: verdict) ?? config.writers.lazy.compactMap({ $0.check(row) }).first {
                                reportWarnings(row.warnings, of: record)
                                reject(record, row: row.row, line: record.line, issue: issue)
                                if wholeAccounts { invalidPlanRows[row.filenumber] = invalidPlanRows[row.filenumber] ?? RowIssue(issue.reason, field: issue.field, "row \(row.row): \(issue.message)") }
                            } else if wholeAccounts && earlierBatchAccounts.contains(row.filenumber) {
                                reportWarnings(row.warnings, of: record)
                                reject(record, row: row.row, line: record.line, issue: RowIssue(.accountRowsSplit, field: "filenumber",
                                    "the rows of account \(row.filenumber) must be together in the file (sorted by account): its plan was built from earlier rows"))
                            } else {
                                slots.append(row)
                            }
                        case let .rejected(issues, warnings):
                            reportWarnings(warnings, of: record)
                            reject(record, row: record.row, line: record.line, issue: issues[0], others: Array(issues.dropFirst()))
                            if wholeAccounts, let account, invalidPlanRows[account] == nil {
                                invalidPlanRows[account] = RowIssue(issues[0].reason, field: issues[0].field, "row \(record.row): \(issues[0].message)")
                            }
                        }
                    }
                }
                if inputExhausted && carried == nil { endOfInput = true }
            } catch {
                exitCode = .inputHeld
                abortReason = "\(error)"
                break
            }

            // The reject limits are checked before the batch is sent: a file that is mostly
            // garbage is stopped before it is loaded.
            if let limit = config.maxRejects, summary.rejected > limit {
                exitCode = .rejectLimit
                abortReason = "\(summary.rejected) rows rejected, more than options.max_rejects (\(limit)); rows \(summary.rowsRead - batchRows + 1)–\(summary.rowsRead) were not sent and nothing after them was read"
                for row in slots { reject(row.record, row: row.row, line: row.record.line, issue: RowIssue(.notAttempted, field: nil, "not sent: the run stopped at the reject limit")) }
                flushReportLines()
                break
            }
            if let ratio = config.maxRejectRatio, summary.rowsRead >= 1000, Double(summary.rejected) > ratio * Double(summary.rowsRead) {
                exitCode = .rejectLimit
                abortReason = "\(summary.rejected) of \(summary.rowsRead) rows rejected, more than options.max_reject_ratio (\(ratio)); rows \(summary.rowsRead - batchRows + 1)–\(summary.rowsRead) were not sent and nothing after them was read"
                for row in slots { reject(row.record, row: row.row, line: row.record.line, issue: RowIssue(.notAttempted, field: nil, "not sent: the run stopped at the reject limit")) }
                flushReportLines()
                break
            }

            // 2. Rows of one account stay together, in file order, on one worker.
            var groupIndex: [String: Int] = [:]
            var groups: [[Int]] = []
            for (index, row) in slots.enumerated() {
                if let g = groupIndex[row.filenumber] { groups[g].append(index) } else {
                    groupIndex[row.filenumber] = groups.count
                    groups.append([index])
                }
            }
            if wholeAccounts {
                earlierBatchAccounts.formUnion(groupIndex.keys)
                earlierBatchAccounts.formUnion(invalidPlanRows.keys)
            }
            var outcomes = [RowOutcome?](repeating: nil, count: slots.count)
            let outcomesLock = NSLock()
            let batch = slots
            let planBlockers = invalidPlanRows
            pool.run(tasks: groups.count) { [self] groupNumber, http in
                let rows = groups[groupNumber].map { batch[$0] }
                let results: [RowOutcome]
                if let blocker = planBlockers[rows[0].filenumber] {
                    // A plan missing an installment is a wrong plan: none of it is sent.
                    results = rows.map { _ in .rejected(RowIssue(.planIncomplete, field: blocker.field,
                        "the plan of account \(rows[0].filenumber) was not sent: \(blocker.message)"), callsMade: []) }
                } else {
                    results = self.process(rows, reads: reads, client: client, http: http, state: state, ledger: ledger)
                }
                outcomesLock.lock()
                for (offset, index) in groups[groupNumber].enumerated() { outcomes[index] = results[offset] }
                outcomesLock.unlock()
            }

            // 3. Account for every row, in file order.
            for (index, row) in batch.enumerated() {
                reportWarnings(row.warnings, of: row.record)
                switch outcomes[index]! {
                case let .written(changes):
                    summary.written += 1
                    acknowledge(row.record, row: row.row, accepted: true, reason: "", changes: changes, message: "")
                case .unchanged:
                    summary.unchanged += 1
                    acknowledge(row.record, row: row.row, accepted: true, reason: "", changes: [], message: "")
                case .alreadyBooked:
                    summary.unchanged += 1
                    summary.alreadyBooked += 1
                    acknowledge(row.record, row: row.row, accepted: true, reason: "", changes: [], message: "already loaded by an earlier run")
                case let .rejected(issue, callsMade):
                    reject(row.record, row: row.row, line: row.record.line, issue: issue, callsMade: callsMade)
                }
            }
            flushReportLines()
            progress.rowsCounted(summary)
            // A progress display shows these counts itself.
            if options.progress == nil { options.log("rows \(summary.rowsRead): written \(summary.written), unchanged \(summary.unchanged), rejected \(summary.rejected), calls \(counter.total)") }

            if let fatal = state.fatal {
                exitCode = fatal.0
                abortReason = fatal.1
                break
            }
        }

        flushReportLines()
        summary.callsByEndpoint = counter.byEndpoint
        summary.callsFailed = state.failedCalls
        summary.plannedWrites = state.plannedWrites
        do { try acknowledgement?.finish() } catch { reportFailure = reportFailure ?? error }
        if let failure = PipelineRunner.closeReports(rejects, audit, earlierFailure: reportFailure, log: options.log) {
            abortReason = abortReason ?? failure
            exitCode = exitCode ?? .inputHeld
        }
        if exitCode == nil {
            exitCode = summary.rejected > 0 ? .doneWithRejects : .done
        }
        if summary.rowsRead == 0 && exitCode == .done {
            summary.notices.append("\(URL(fileURLWithPath: inputPath).lastPathComponent) has a header and no data rows: nothing to load")
            options.log("notice: \(summary.notices.last!)")
        }
        if exitCode == .interrupted || exitCode == .apiUnavailable {
            abortReason = (abortReason ?? "stopped") + ". To resume, run the same command again: rows already written are skipped"
                + (journal != nil ? ", payments whose answer was lost are checked on the server before anything is re-sent" : "")
        }
        var result = finish(exitCode!, abortReason)
        result.callsByEndpoint = counter.byEndpoint
        do {
            if !options.dryRun { try journal?.finishRun(id: runId, exitCode: exitCode!.rawValue, summary: result.json.serialized) }
        } catch {
            options.log("error: \(error)")
        }
        PipelineRunner.writeSummary(result, folder: folder, reportsFolder: config.reportsFolder)
        moveInput(inputPath, exitCode: exitCode!)
        return result
    }

    /// Finishes both gz reports; the failure, if any, as the run's abort reason.
    static func closeReports(_ rejects: RejectReport, _ audit: AuditReport, earlierFailure: Error?, log: (String) -> Void) -> String? {
        do {
            try rejects.finish()
            try audit.finish()
            if let earlierFailure { throw earlierFailure }
            return nil
        } catch {
            log("error: \(error)")
            return "reports could not be written: \(error)"
        }
    }

    /// `summary.json` beside the gz reports, and `latest` pointed at the run's folder.
    static func writeSummary(_ summary: RunSummary, folder: String, reportsFolder: String) {
        _ = FileManager.default.createFile(atPath: folder + "/summary.json", contents: Data((summary.json.serialized + "\n").utf8),
                                           attributes: [.posixPermissions: 0o600])
        pointLatest(at: folder, in: reportsFolder)
    }

    // MARK: the API phase of one account

    /// Shared between worker threads: failures that stop the run, and counts.
    final class RunState: @unchecked Sendable {
        private let lock = NSLock()
        private var stoppedWith: (ExitCode, String)?
        /// Read by every worker while another may be stopping the run: under the lock.
        var fatal: (ExitCode, String)? { lock.lock(); defer { lock.unlock() }; return stoppedWith }
        private var failed = 0
        private var planned: [String: Int] = [:]
        var failedCalls: Int { lock.lock(); defer { lock.unlock() }; return failed }
        var plannedWrites: [String: Int] { lock.lock(); defer { lock.unlock() }; return planned }
        func plan(_ endpoint: String) { lock.lock(); planned[endpoint, default: 0] += 1; lock.unlock() }
        func callFailed() { lock.lock(); failed += 1; lock.unlock() }
        func stop(_ code: ExitCode, _ reason: String) {
            lock.lock()
            if stoppedWith == nil { stoppedWith = (code, reason) }
            lock.unlock()
        }
        /// A call that still failed for lack of an answer after its retries means the API is
        /// down: stop after this batch rather than reject the rest of the file one row at a time.
        /// Only a call that was tried again and again tells that: a write that is never re-sent
        /// blindly (an insert whose answer was lost) failed once, which says nothing of the API.
        /// Load and export runs alike.
        func noteUnavailability(_ result: APIResult) {
            guard result.attempts > 1 || PipelineRunner.tooManyRequestsOrRefusedConnection(result) else { return }
            switch result.classification {
            case .transportError, .rateLimited:
                stop(.apiUnavailable, "API unavailable after \(result.attempts) attempts: \(result.classification.message ?? "")")
            case let .httpError(status, _) where status >= 500:
                stop(.apiUnavailable, "API unavailable after \(result.attempts) attempts: \(result.classification.message ?? "")")
            default:
                break
            }
        }
    }

    func process(_ rows: [NormalizedRow], reads: Set<AccountRead>, client: ScollectClient, http: CurlHTTPClient, state: RunState,
                 ledger: LedgerExecutor?) -> [RowOutcome] {
        let filenumber = rows[0].filenumber
        func rejectAll(_ issue: RowIssue) -> [RowOutcome] { rows.map { _ in .rejected(issue, callsMade: []) } }
        if let fatal = state.fatal {
            return rejectAll(RowIssue(.apiError, field: nil, "not attempted: the run was stopping (\(fatal.1))"))
        }
        if options.isInterrupted() {
            return rejectAll(RowIssue(.interrupted, field: nil, "not attempted: the run was interrupted; running it again sends this row"))
        }
        do {
            // A resumed payment import: when the journal shows every write of the account booked,
            // there is nothing to read or send.
            if let ledger, reads.isSubset(of: [.payments]), try allBooked(rows, ledger: ledger) {
                return rows.map { _ in .alreadyBooked }
            }
            // Read what the account holds now. An account the API does not know is rejected:
            // a load never creates accounts.
            var snapshot = AccountSnapshot()
            var readAccount = reads.contains(.account)
            var readPhones = reads.contains(.phones)
            if let listed = listedAccounts[filenumber] {
                // Read at the start of the run with its portfolio: no read of its own.
                snapshot = listed.snapshot
                readAccount = false
                readPhones = readPhones && !listed.phonesComplete
            }
            if readAccount {
                let accountResult = try client.perform(APICall(method: "GET", endpoint: "getaccount", path: "/getaccount/\(PipelineRunner.pathComponent(filenumber))",
                                                               filenumber: filenumber, idempotent: true), using: http)
                switch accountResult.classification {
                case .success:
                    guard let record = accountResult.json?["result"]?.arrayValue?.first?.objectValue else {
                        return rejectAll(RowIssue(.apiError, field: nil, "getaccount \(filenumber): unexpected response shape"))
                    }
                    for (key, value) in record { snapshot.fields[key] = value.stringValue }
                    if let status = snapshot.statuses.first(where: config.protection.protectsAccount(status:)) {
                        return rejectAll(RowIssue(.accountProtected, field: "statusname",
                            "account \(filenumber) is in status \(status), which the pipeline protects: nothing was changed"))
                    }
                case .emptyResult:
                    return rejectAll(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (getaccount: empty result); accounts are never created by a load"))
                case let .errorInBody(message, _) where PipelineRunner.meansNotFound(message):
                    return rejectAll(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (getaccount: \(message))"))
                default:
                    state.callFailed()
                    state.noteUnavailability(accountResult)
                    return rejectAll(PipelineRunner.issue(for: accountResult, summary: "getaccount", idempotent: true))
                }
            }
            if readPhones {
                let phonesResult = try client.perform(APICall(method: "GET", endpoint: "getphones", path: "/getphones/\(PipelineRunner.pathComponent(filenumber))",
                                                              filenumber: filenumber, idempotent: true), using: http)
                switch phonesResult.classification {
                case .success:
                    for phone in phonesResult.json?["result"]?.arrayValue ?? [] {
                        guard let number = phone["phonenumber"]?.stringValue else { continue }
                        let digits = number.filter(\.isNumber)
                        snapshot.phoneDigits.insert(digits)
                        if let status = phone["phonestatus"]?.stringValue { snapshot.phoneStatus[digits] = status }
                        if let type = phone["phonetype"]?.stringValue { snapshot.phoneType[digits] = type }
                    }
                case .emptyResult:
                    break
                case let .errorInBody(message, _) where message.lowercased().contains("does not have associated phone"):
                    break // the documented answer for an account without phones
                default:
                    state.callFailed()
                    state.noteUnavailability(phonesResult)
                    return rejectAll(PipelineRunner.issue(for: phonesResult, summary: "getphones", idempotent: true))
                }
            }
            if reads.contains(.payments), let ledger {
                // The baseline a lost answer is reconciled against; also the existence check.
                switch try ledger.serverCounts(filenumber: filenumber, http: http) {
                case let .success(counts): snapshot.paymentCounts = counts
                case let .failure(issue): return rejectAll(issue)
                }
            }

            // A plan built from rows: one set of calls for all the rows, one outcome for all.
            if let planner = config.writers.first(where: \.plansWholeAccount) {
                switch planner.planAccount(rows, current: snapshot) {
                case let .failure(issue): return rejectAll(issue)
                case let .success(planned):
                    let outcome = try perform(planned, snapshot: &snapshot, sourceRow: rows[0].row, client: client, http: http, state: state, ledger: ledger)
                    return rows.map { _ in outcome }
                }
            }

            // Write only what changes, row by row, against the state the earlier rows left.
            var outcomes: [RowOutcome] = []
            var unsettled: String?
            for row in rows {
                // An insert the journal shows made for this row of this file is not planned again,
                // so a later writer summarising the row's changes (a note) does not count it; one
                // whose answer was lost is not sent again.
                var lostInsert: PlannedCall?
                let planned = try config.writers.reduce(into: [PlannedCall]()) { calls, writer in
                    for call in writer.plan(row, current: snapshot, earlier: calls) {
                        switch try earlierInsert(call, sourceRow: row.row) {
                        case .made?: continue
                        case .sent?: lostInsert = lostInsert ?? call
                        default: break
                        }
                        calls.append(call)
                    }
                }
                if let lostInsert {
                    outcomes.append(.rejected(RowIssue(.outcomeUnknown, field: nil, "\(lostInsert.summary): an earlier run of this file sent it and its answer was lost; not sent again, check the account by hand"), callsMade: []))
                    continue
                }
                if let unsettled, planned.contains(where: { $0.ledger != nil }) {
                    // Counting this account's payments can no longer tell one write from another.
                    outcomes.append(.rejected(RowIssue(.accountUnsettled, field: nil, "not sent: \(unsettled)"), callsMade: []))
                    continue
                }
                let outcome = try perform(planned, snapshot: &snapshot, sourceRow: row.row, client: client, http: http, state: state, ledger: ledger)
                if case let .rejected(issue, _) = outcome, issue.reason == .outcomeUnknown {
                    unsettled = "an earlier payment of account \(filenumber) (row \(row.row)) has an unknown outcome"
                }
                outcomes.append(outcome)
            }
            return outcomes
        } catch let error as ClientError {
            if case .credentialsRefused = error { state.stop(.credentialsRefused, error.description) } else { state.stop(.apiUnavailable, error.description) }
            return rejectAll(RowIssue(.apiError, field: nil, error.description))
        } catch {
            state.stop(.apiUnavailable, "\(error)")
            return rejectAll(RowIssue(.apiError, field: nil, "\(error)"))
        }
    }

    /// The first row check (`checks:`) the row fails, or the row another row of its account wins over.
    func rowCheckIssue(_ row: NormalizedRow, verdict: FileCheckVerdict) -> RowIssue? {
        if let winner = verdict.supersededBy[row.row] {
            return RowIssue(.duplicateFilenumber, field: "filenumber",
                "account \(row.filenumber) is also on row \(winner), which wins (checks.duplicate_filenumbers: \(config.checks.duplicates?.rawValue ?? "")): this row was not loaded")
        }
        return config.checks.rowIssues(row).first { $0.1 == .rejectRow }?.0
    }

    /// A loaded file goes to the archive folder, a held or aborted one to the error folder
    /// (when the pipeline names them); a file to run again (exit 2, 3, 6, 7) stays where it is.
    func moveInput(_ path: String, exitCode: ExitCode) {
        guard options.inputOverride == nil, !options.dryRun else { return }
        let destination: String?
        switch exitCode {
        case .done, .doneWithRejects: destination = config.operations.archiveFolder
        case .inputHeld, .rejectLimit: destination = config.operations.errorFolder
        default: destination = nil
        }
        guard let destination else { return }
        do {
            try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
            var target = URL(fileURLWithPath: destination).appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent).path
            if FileManager.default.fileExists(atPath: target) { target += "." + PipelineRunner.makeRunId() }
            try FileManager.default.moveItem(atPath: path, toPath: target)
            options.log("moved \(path) to \(target)")
        } catch {
            options.log("error: could not move \(path) to \(destination): \(error)")
        }
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

    /// Makes a row's planned calls in order; stops at the first failure.
    func perform(_ planned: [PlannedCall], snapshot: inout AccountSnapshot, sourceRow: Int, client: ScollectClient, http: CurlHTTPClient,
                 state: RunState, ledger: LedgerExecutor?) throws -> RowOutcome {
        if planned.isEmpty { return .unchanged }
        if options.dryRun {
            // Counted, applied to the snapshot as if answered, never sent.
            var counted = 0
            for plannedCall in planned {
                if let intent = plannedCall.ledger, let ledger, try ledger.isBooked(intent) { continue }
                state.plan(plannedCall.call.endpoint)
                counted += 1
                snapshot.apply(plannedCall.effect)
            }
            return counted > 0 ? .written(planned.map(\.summary)) : .alreadyBooked
        }
        var made: [String] = []
        var booked = 0
        var skipped = 0
        // What each change replaces goes to the journal before it is sent (for rollback).
        let recorded = try recordChanges(planned, snapshot: snapshot, sourceRow: sourceRow)
        var madeChangeIds: Set<Int64> = []
        defer {
            try? changeLog?.journal.settleChanges(Array(madeChangeIds), as: .made)
            try? changeLog?.journal.settleChanges(recorded.values.filter { !madeChangeIds.contains($0) }, as: .failed)
        }
        for (callIndex, plannedCall) in planned.enumerated() {
            if let intent = plannedCall.ledger {
                guard let ledger else { throw JournalError("\(plannedCall.summary) needs the run journal") }
                switch try ledger.execute(plannedCall, ledger: intent, snapshot: &snapshot, http: http) {
                case .booked:
                    made.append(plannedCall.summary)
                    booked += 1
                case .alreadyBooked:
                    skipped += 1
                case let .rejected(issue):
                    return .rejected(issue, callsMade: made)
                }
                continue
            }
            var result = try client.perform(plannedCall.call, using: http)
            var sends = 1
            // An insert whose answer was lost is looked up before it is sent again: never blindly.
            while !result.succeeded, !plannedCall.call.idempotent, PipelineRunner.answerLost(result), sends < client.retryPolicy.maxAttempts,
                  case let .addPhone(digits) = plannedCall.effect {
                state.callFailed()
                guard let present = try phoneOnServer(digits, filenumber: plannedCall.call.filenumber ?? "", client: client, http: http) else { break }
                if present {
                    result = APIResult(classification: .success, json: nil, httpStatus: nil, attempts: result.attempts)
                } else {
                    sends += 1
                    result = try client.perform(plannedCall.call, using: http)
                }
            }
            guard result.succeeded else {
                state.callFailed()
                state.noteUnavailability(result)
                return .rejected(PipelineRunner.issue(for: result, summary: plannedCall.summary, idempotent: plannedCall.call.idempotent), callsMade: made)
            }
            made.append(plannedCall.summary)
            if let id = recorded[callIndex] { madeChangeIds.insert(id) }
            snapshot.apply(plannedCall.effect)
        }
        if skipped > 0 && made.isEmpty { return .alreadyBooked }
        return .written(made)
    }

    /// `options.read_from_portfolios`: one `get_accounts_in_portfolio` per portfolio, spooled to
    /// a file and read account by account. A listing that cannot be read is not fatal: its
    /// accounts are read one by one as usual.
    func readPortfolios(client: ScollectClient, folder: String, state: RunState) {
        let http = CurlHTTPClient(timeoutSeconds: max(config.target.timeoutSeconds, 120))
        var fields = Set<String>()
        for writer in config.writers { if let dbase = writer as? UpdateDbaseWriter { fields.formUnion(dbase.fields) } }
        for portfolio in config.readFromPortfolios {
            let spool = folder + "/.listing-\(UUID().uuidString).json"
            defer { try? FileManager.default.removeItem(atPath: spool) }
            var call = APICall(method: "POST", endpoint: "get_accounts_in_portfolio", path: "/get_accounts_in_portfolio",
                               body: .strings([("portfolio", portfolio)]), filenumber: nil, idempotent: true)
            call.spoolAnswerTo = spool
            do {
                let answer = try client.perform(call, using: http)
                guard answer.succeeded else {
                    if case .emptyResult = answer.classification { continue }
                    state.callFailed()
                    options.log("notice: portfolio \(portfolio) could not be listed (\(answer.classification.message ?? answer.classification.label)); its accounts are read one by one")
                    continue
                }
                var count = 0
                try PortfolioListing.read(file: spool, keeping: fields) { account in
                    listedAccounts[account.filenumber] = account
                    count += 1
                }
                options.log("portfolio \(portfolio): \(count) accounts read in one call")
            } catch {
                options.log("notice: portfolio \(portfolio) could not be listed (\(error)); its accounts are read one by one")
            }
        }
    }

    /// The journal a run records its changes in, for `rollback`.
    struct ChangeLog {
        let journal: RunJournal
        let runId: String
        let pipeline: String
        let inputDigest: String
    }

    /// An insert with nothing to compare it against (a note, an attempt, a callback, a Factors
    /// Network note, a permission) is sent once per row of a file: a resumed or forced run
    /// finds it in the journal. nil: send it; `.made`: skip it; `.sent`: its answer was lost.
    func earlierInsert(_ plannedCall: PlannedCall, sourceRow: Int) throws -> ChangeRecord.State? {
        guard let changeLog, plannedCall.ledger == nil, case .none = plannedCall.effect else { return nil }
        return try changeLog.journal.earlierInsert(pipeline: changeLog.pipeline, inputDigest: changeLog.inputDigest, excludingRun: changeLog.runId,
                                                   sourceRow: sourceRow, filenumber: plannedCall.call.filenumber ?? "",
                                                   endpoint: plannedCall.call.endpoint, description: plannedCall.summary)
    }

    /// Records the row's non-ledger calls (payments have their own journal entries) with the
    /// values they replace; the record ids by index in `planned`.
    func recordChanges(_ planned: [PlannedCall], snapshot: AccountSnapshot, sourceRow: Int) throws -> [Int: Int64] {
        guard let changeLog else { return [:] }
        var indices: [Int] = []
        var records: [ChangeRecord] = []
        for (index, plannedCall) in planned.enumerated() where plannedCall.ledger == nil {
            let filenumber = plannedCall.call.filenumber ?? ""
            if case let .setField(field, value) = plannedCall.effect {
                let normalizer = config.normalizations[field].map { type(of: $0.normalizer).name }
                records.append(ChangeRecord(runId: changeLog.runId, filenumber: filenumber, endpoint: plannedCall.call.endpoint, field: field,
                                            previous: snapshot.fields[field] ?? nil, newValue: value, normalizer: normalizer, sourceRow: sourceRow))
            } else {
                records.append(ChangeRecord(runId: changeLog.runId, filenumber: filenumber, endpoint: plannedCall.call.endpoint, field: nil,
                                            previous: nil, newValue: plannedCall.summary, normalizer: nil, sourceRow: sourceRow))
            }
            indices.append(index)
        }
        let saved = try changeLog.journal.recordChanges(records)
        return Dictionary(uniqueKeysWithValues: zip(indices, saved.map(\.id)))
    }

    static func tooManyRequestsOrRefusedConnection(_ result: APIResult) -> Bool {
        switch result.classification {
        case .rateLimited: return true
        case let .transportError(_, requestMayHaveBeenSent): return !requestMayHaveBeenSent
        default: return false
        }
    }

    /// The request may have reached the server and no answer says what it did.
    static func answerLost(_ result: APIResult) -> Bool {
        switch result.classification {
        case let .transportError(_, requestMayHaveBeenSent): return requestMayHaveBeenSent
        case let .httpError(status, _): return status >= 500
        default: return false
        }
    }

    /// Whether the account has the phone now (`getphones`); nil when that cannot be read.
    func phoneOnServer(_ digits: String, filenumber: String, client: ScollectClient, http: CurlHTTPClient) throws -> Bool? {
        let result = try client.perform(APICall(method: "GET", endpoint: "getphones", path: "/getphones/\(PipelineRunner.pathComponent(filenumber))",
                                                filenumber: filenumber, idempotent: true), using: http)
        switch result.classification {
        case .success:
            return (result.json?["result"]?.arrayValue ?? []).contains { $0["phonenumber"]?.stringValue?.filter(\.isNumber) == digits }
        case .emptyResult:
            return false
        case let .errorInBody(message, _) where message.lowercased().contains("does not have associated phone"):
            return false
        default:
            return nil
        }
    }

    static func issue(for result: APIResult, summary: String, idempotent: Bool) -> RowIssue {
        let message = "\(summary): \(result.classification.message ?? result.classification.label)"
        switch result.classification {
        case let .errorInBody(text, _):
            return RowIssue(PipelineRunner.meansNotFound(text) ? .accountNotFound : .apiError, field: nil, message)
        case .timeoutState: return RowIssue(.apiTimeout, field: nil, message)
        case let .httpError(status, _) where status >= 500 && !idempotent:
            return RowIssue(.outcomeUnknown, field: nil, message + " — the server may have acted on it; not re-sent, check the account by hand")
        case .httpError, .rateLimited, .authRejected: return RowIssue(.httpError, field: nil, message)
        case let .transportError(_, maySent):
            if maySent && !idempotent {
                return RowIssue(.outcomeUnknown, field: nil, message + " — the request may have reached the server; not re-sent, check the account by hand")
            }
            return RowIssue(.transportError, field: nil, message)
        case .emptyResult: return RowIssue(.apiError, field: nil, "\(summary): empty result")
        case .unreadable, .success: return RowIssue(.apiError, field: nil, message)
        }
    }

    static func meansNotFound(_ message: String) -> Bool {
        let lower = message.lowercased()
        return lower.contains("data not found for this filenumber") || (lower.contains("file number") && lower.contains("does not exist"))
    }

    static func pathComponent(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? value
    }

    // MARK: helpers

    static func makeRunId() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 16)
        return formatter.string(from: Date()) + "-" + String(repeating: "0", count: 8 - suffix.count) + suffix
    }

    static func sha256(ofFile path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReaderError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count < 0 { throw ReaderError.ioError(path: path, reason: String(cString: strerror(errno))) }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// `<reports>/latest` points at the newest run's folder, for people and scripts.
    static func pointLatest(at folder: String, in reportsFolder: String) {
        let link = reportsFolder + "/latest"
        try? FileManager.default.removeItem(atPath: link)
        try? FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: URL(fileURLWithPath: folder).lastPathComponent)
    }
}

/// Counts requests per endpoint on their way to the audit report.
final class CallCounter: AuditSink, @unchecked Sendable {
    private let next: AuditSink
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    init(forwardingTo next: AuditSink) { self.next = next }

    func record(_ entry: AuditEntry) {
        lock.lock()
        counts[entry.endpoint, default: 0] += 1
        lock.unlock()
        next.record(entry)
    }

    var byEndpoint: [String: Int] { lock.lock(); defer { lock.unlock() }; return counts }
    var total: Int { byEndpoint.values.reduce(0, +) }
}
