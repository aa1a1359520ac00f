import Foundation
import Logging

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
    /// Encrypts sensitive values in the journal; nil: the key of `SCOLLECT_JOURNAL_KEY_FILE`, if any.
    public var journalKey: JournalKey?
    /// How the run's threads talk HTTP (a timeout in seconds → a transport of their own):
    /// libcurl, or a scripted transport in tests.
    public var makeTransport: @Sendable (_ timeoutSeconds: Double) -> any HTTPTransport = { CurlHTTPClient(timeoutSeconds: $0) }
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
    public var log: Logger = .silent
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
    /// The state directory: the run's lock and spooled listings go there (`RunStateFolders`);
    /// nil: in the reports folder.
    public var stateFolder: String?
    public init() {}
}

/// Runs one pipeline: read → map and normalise → read the accounts' current state → write
/// only what changed, rate-limited, in batches → reports. Every data row ends exactly once
/// as written, unchanged or rejected.
///
/// The stages, each a type of its own: `InputGate` (loaded before? whole-file checks),
/// `APISession` (client, pool, login), `PortfolioPreload` (listing reads), `BatchAssembler`
/// (read, map, check, reject limits), `AccountProcessor` (reads, protection, planning, calls,
/// through the `EffectJournal`), `RowAccounting` and `RunReports` (counts and reports),
/// `InputDisposition` (exit code, archive or error folder).
public final class PipelineRunner {
    let config: PipelineConfig
    let target: RunTarget
    /// `var`: the run's log lines carry its id once it has one.
    var options: RunOptions

    public init(config: PipelineConfig, target: RunTarget, options: RunOptions = RunOptions()) {
        self.config = config
        self.target = target
        self.options = options
    }

    public func run() -> RunSummary {
        let started = monotonicSeconds()
        let inputPath = options.inputOverride ?? config.source.path
        var summary = RunSummary()
        summary.pipeline = config.file
        summary.toolVersion = options.toolVersion
        summary.target = target.description
        summary.inputFile = inputPath
        options.log[metadataKey: "pipeline"] = "\(config.name)"
        options.log[metadataKey: "input"] = "\(inputPath)"
        options.log[metadataKey: "target"] = "\(target.description)"
        func end(_ code: ExitCode, _ reason: String? = nil) -> RunSummary { summary.ended(code, reason, since: started) }

        // Two runs of one pipeline never overlap (a slow night running into the next).
        var lock: RunLock?
        if !options.dryRun {
            let place = options.lockLocation(reportsFolder: config.reportsFolder, pipeline: config.name)
            do { lock = try RunLock(folder: place.folder, pipeline: place.name) } catch { return end(.inputHeld, "\(error)") }
        }
        defer { lock?.release() }

        let opening: RunInput?
        do { opening = try RunInput.open(config: config, path: inputPath) } catch { return end(.inputHeld, "\(error)") }
        guard let input = opening else {
            // A night with nothing placed is a normal night: say so, exit 0, call nothing.
            summary.notices.append("\(URL(fileURLWithPath: inputPath).lastPathComponent) is empty: nothing to load")
            options.log.notice("\(summary.notices[0])")
            return end(.done)
        }

        let opened: OpenedRun
        do { opened = try openRun(input, summary: &summary) } catch let stop as RunStop { return end(stop.code, stop.reason) } catch { return end(.inputHeld, "\(error)") }
        defer { opened.lock?.release() }
        let verdict = InputGate.verdict(config: config, inputPath: inputPath, digest: opened.digest, journal: opened.journal, runId: summary.runId,
                                        options: options, mapper: input.mapper)
        if !verdict.heldBecause.isEmpty { return hold(verdict, opened, input: input, summary: summary, started: started) }

        let state = RunState(health: APIHealth(window: config.target.retry.downAfter))
        let session = APISession(settings: config.target, target: target, audit: opened.reports.counter, health: state.health,
                                 journalStore: opened.journal?.store)
        defer { session.shutdown() }
        let progress = RunProgressReporter(options: options, counters: session.client.counters, inputPath: inputPath, source: config.source)
        session.observeRequests(progress.requestAnswered)
        session.client.warn = options.log
        session.client.factorsNetwork?.warn = options.log
        var stop = session.logIn()
        var listed: [String: PortfolioListing.Account] = [:]
        if stop == nil, !config.readFromPortfolios.isEmpty {
            listed = PortfolioPreload.read(config.readFromPortfolios, config: config, client: session.client,
                                           http: session.transport(timeoutSeconds: max(config.target.timeoutSeconds, 120)),
                                           folder: options.spoolFolder(reportsRunFolder: opened.reports.folder), state: state, log: options.log)
        }
        let processor = AccountProcessor(config: config, client: session.client, state: state, effects: opened.effects, listedAccounts: listed, options: options)
        let accounting = RowAccounting(summary: summary, reports: opened.reports, mapper: input.mapper, effects: options.dryRun ? nil : opened.effects)
        if stop == nil {
            let batches = BatchAssembler(config: config, reader: input.reader, mapper: input.mapper, verdict: verdict, inputName: input.name)
            stop = load(batches, processor, accounting, pool: session.pool, progress: progress, state: state, counter: opened.reports.counter,
                        resuming: options.force ? nil : opened.effects)
        }
        accounting.callsEnded(byEndpoint: opened.reports.counter.byEndpoint, failed: state.failedCalls, planned: state.plannedWrites)
        return finish(accounting, stop: stop, opened, input: input, started: started)
    }

    /// The input, opened: its reader and the mapping of its header (every mapped column there).
    struct RunInput {
        let path: String
        let name: String
        let reader: any RecordReader
        let mapper: RowMapper

        /// nil for an empty file (no header).
        static func open(config: PipelineConfig, path: String) throws -> RunInput? {
            let reader = try config.source.open(path)
            guard !reader.header.isEmpty else { return nil }
            return RunInput(path: path, name: URL(fileURLWithPath: path).lastPathComponent, reader: reader,
                            mapper: try RowMapper(config: config, header: reader.header, inputFile: path))
        }
    }

    /// A reason to stop before the first call, with its exit code.
    struct RunStop: Error {
        let code: ExitCode
        let reason: String
    }

    /// What a run has open once it has a run id: its reports, and its journal when the target has one.
    struct OpenedRun {
        let reports: RunReports
        let journal: RunJournal?
        let effects: EffectJournal?
        let digest: String
        /// The pipeline's lock in the journal's store, held until the run ends.
        let lock: (any JournalLock)?
    }

    /// The run's folder, the input's SHA-256, the journal (payment writers refuse to run
    /// without one), the reports and the acknowledgement.
    func openRun(_ input: RunInput, summary: inout RunSummary) throws -> OpenedRun {
        let runId = RunReports.makeRunId()
        summary.runId = runId
        options.log[metadataKey: "run_id"] = "\(runId)"
        let folder = URL(fileURLWithPath: config.reportsFolder).appendingPathComponent(runId).path
        summary.reportFolder = folder
        try PrivateFile.createDirectory(folder)
        let digest = try FileDigest.sha256(ofFile: input.path)
        var journal: RunJournal?
        var storeLock: (any JournalLock)?
        if let path = target.journalPath {
            do {
                journal = try RunJournal(path: path, key: target.journalKey ?? JournalKey.fromEnvironment(),
                                         retentionDays: options.dryRun ? nil : config.journalRetentionDays)
            } catch let newer as JournalSchema.NewerJournal {
                throw RunStop(code: .badPipelineOrArguments, reason: newer.description)
            }
            if !options.dryRun {
                // Every process sharing the journal, on any machine, sees this lock.
                storeLock = try journal!.lockPipeline(config.name)
                try journal!.beginRun(id: runId, pipeline: config.name, inputName: input.name, inputDigest: digest, target: target.description)
            }
        } else if config.writers.contains(where: { $0.reads.contains(.payments) }) {
            // Writers that book money must go through the journal: never sent without it.
            throw RunStop(code: .badPipelineOrArguments, reason: "the payment writers need a run journal and none is configured")
        }
        if config.writers.contains(where: { $0.service == .factorsNetwork }) && target.factorsNetwork == nil {
            throw RunStop(code: .badPipelineOrArguments, reason: "the Factors Network writer needs FACTORS_NETWORK_URL, FACTORS_NETWORK_USER and FACTORS_NETWORK_PASSWORD")
        }
        let reports = try RunReports(reportsFolder: config.reportsFolder, runId: runId, auditHeader: [
            ("tool", .string("scollect-etl")), ("version", .string(options.toolVersion)), ("run_id", .string(runId)),
            ("pipeline", .string(config.file)), ("input", .string(input.name)),
            ("input_path", .string(input.path)), ("input_sha256", .string(digest)),
            ("target", .string(target.description)), ("started", .string(AuditReport.timestamp(Date()))),
        ], rejectHeader: input.reader.header,
           rejectColumns: RejectColumns(config: config, mapper: input.mapper, header: input.reader.header, inputPath: input.path))
        if let settings = config.acknowledgement, !options.dryRun {
            summary.acknowledgementFile = try reports.openAcknowledgement(settings, inputPath: input.path, runId: runId)
        }
        let effects = journal.map {
            EffectJournal(journal: $0, runId: runId, pipeline: config.name, inputName: input.name, inputDigest: digest,
                          normalizerName: { [config] field in config.normalizations[field].map { type(of: $0.normalizer).name } })
        }
        options.log.info("run \(runId): \(config.name), input \(input.path)")
        options.log.info("reports: \(folder)")
        for notice in input.reader.notices { options.log.notice("\(notice)") }
        summary.notices = input.reader.notices
        if let journal { options.log.info("journal: \(journal.path)") }
        return OpenedRun(reports: reports, journal: journal, effects: effects, digest: digest, lock: storeLock)
    }

    /// The batches, one after another, until the input ends or something stops the run. Rows
    /// an earlier run of the file settled for good are not read or compared again (`resuming`:
    /// the journal, unless the run is forced).
    func load(_ batches: BatchAssembler, _ processor: AccountProcessor, _ accounting: RowAccounting, pool: WorkerPool,
              progress: RunProgressReporter, state: RunState, counter: CallCounter, resuming: EffectJournal?) -> (ExitCode, String)? {
        while true {
            if options.isInterrupted() { return (.interrupted, "interrupted: rows after row \(accounting.summary.rowsRead) were not read") }
            let batch: BatchAssembler.Batch
            do { batch = try batches.next(accounting) } catch { return (.inputHeld, "\(error)") }
            if let limit = batches.rejectLimitPassed(accounting.summary, batch: batch) {
                accounting.notSent(batch.rows, because: "not sent: the run stopped at the reject limit")
                accounting.flush()
                return (.rejectLimit, limit)
            }
            let settled = (try? resuming?.settledRows(among: batch.rows.map(\.row))) ?? [:]
            var fresh = batch
            fresh.rows = batch.rows.filter { settled[$0.row] == nil }
            var outcomes = processor.process(fresh, on: pool).makeIterator()
            for row in batch.rows { accounting.account(row, settled[row.row].map(RowOutcome.settledEarlier) ?? outcomes.next()!) }
            accounting.flush()
            progress.rowsCounted(accounting.summary)
            // A progress display shows these counts itself.
            if options.progress == nil {
                let counts = accounting.summary
                options.log.info("rows \(counts.rowsRead): written \(counts.written), unchanged \(counts.unchanged), rejected \(counts.rejected), calls \(counter.total)")
            }
            if let fatal = state.fatal { return fatal }
            if batch.endOfInput { return nil }
        }
    }

    /// A file held before any call: no row is loaded, the run is recorded with its reasons.
    func hold(_ verdict: FileCheckVerdict, _ opened: OpenedRun, input: RunInput, summary: RunSummary, started: Double) -> RunSummary {
        for reason in verdict.heldBecause { options.log.debug("held: \(reason)") }
        var summary = summary
        opened.reports.discardAcknowledgement()
        summary.acknowledgementFile = nil
        _ = opened.reports.close(log: options.log)
        let result = summary.ended(.inputHeld, "the file is held, no call was made: " + verdict.heldBecause.joined(separator: "; "), since: started)
        record(result, opened, inputPath: input.path)
        return result
    }

    /// The end of a run that got past its checks: reports closed, the exit code decided.
    func finish(_ accounting: RowAccounting, stop: (ExitCode, String)?, _ opened: OpenedRun, input: RunInput, started: Double) -> RunSummary {
        accounting.flush()
        var code = stop?.0
        var reason = stop?.1
        if let failure = opened.reports.close(log: options.log) {
            reason = reason ?? failure
            code = code ?? .inputHeld
        }
        let exitCode = InputDisposition.exitCode(stoppedWith: code, rejected: accounting.summary.rejected)
        if accounting.summary.rowsRead == 0 && exitCode == .done {
            accounting.note("\(input.name) has a header and no data rows: nothing to load")
            options.log.notice("\(accounting.summary.notices.last!)")
        }
        var result = accounting.summary.ended(exitCode, InputDisposition.resumeHint(exitCode, reason: reason, hasJournal: opened.journal != nil,
                                                                                    rowsToRetry: accounting.summary.rowsToRetry),
                                              since: started)
        if stop != nil && result.rowsRead == 0 {
            // Stopped before its first row (credentials refused, API down at login): nothing to acknowledge.
            opened.reports.discardAcknowledgement()
            result.acknowledgementFile = nil
        }
        record(result, opened, inputPath: input.path)
        result.auditStatistics = opened.reports.audit.statistics
        return result
    }

    /// The run's end in the journal, `summary.json`, and the input moved where it belongs.
    func record(_ result: RunSummary, _ opened: OpenedRun, inputPath: String) {
        do {
            if !options.dryRun {
                try opened.journal?.finishRun(id: result.runId, exitCode: result.exitCode.rawValue, summary: result.json.serialized,
                                              rowsToRetry: result.rowsToRetry)
            }
        } catch {
            options.log.error("\(error)")
        }
        opened.reports.writeSummary(result, movingLatest: !options.dryRun && result.exitCode != .inputHeld)
        guard options.inputOverride == nil, !options.dryRun else { return }
        InputDisposition.move(inputPath, exitCode: result.exitCode, rowsToRetry: result.rowsToRetry, operations: config.operations, log: options.log)
    }
}
