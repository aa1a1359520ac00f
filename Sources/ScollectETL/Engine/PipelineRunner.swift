import Crypto
import Foundation

/// Where a run sends its calls, resolved by the caller (pipeline target, `SCOLLECT_URL`, or
/// the embedded sandbox).
public struct RunTarget: Sendable {
    public let baseURL: String
    public let credentials: Credentials
    /// For the audit header and the summary: `embedded sandbox at http://…` or the URL.
    public let description: String
    public init(baseURL: String, credentials: Credentials, description: String) {
        self.baseURL = baseURL
        self.credentials = credentials
        self.description = description
    }
}

public struct RunOptions {
    /// Read this file instead of the pipeline's source (e.g. a fixed rejects report).
    public var inputOverride: String?
    /// Progress and notices; the CLI prints them to stderr.
    public var log: (String) -> Void = { _ in }
    /// Checked between batches: a run stopped this way exits 7.
    public var isInterrupted: () -> Bool = { false }
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

    public init(config: PipelineConfig, target: RunTarget, options: RunOptions = RunOptions()) {
        self.config = config
        self.target = target
        self.options = options
    }

    /// The outcome of one row after the API phase.
    enum RowOutcome {
        case written
        case unchanged
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

        // Whole-file checks before anything is sent: the file opens, its header has every
        // mapped column.
        let reader: any RecordReader
        let mapper: RowMapper
        do {
            var source = config.source
            source.path = inputPath
            reader = try ReaderRegistry.open(source)
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
        let counter: CallCounter
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let digest = try PipelineRunner.sha256(ofFile: inputPath)
            rejects = try RejectReport(path: folder + "/rejects.csv.gz", header: reader.header)
            audit = try AuditReport(path: folder + "/audit.jsonl.gz", header: [
                ("tool", .string("scollect-etl")), ("version", .string(options.toolVersion)), ("run_id", .string(runId)),
                ("pipeline", .string(config.file)), ("input", .string(URL(fileURLWithPath: inputPath).lastPathComponent)),
                ("input_path", .string(inputPath)), ("input_sha256", .string(digest)),
                ("target", .string(target.description)), ("started", .string(AuditReport.timestamp(Date()))),
            ])
            counter = CallCounter(forwardingTo: audit)
        } catch {
            return finish(.inputHeld, "\(error)")
        }
        options.log("run \(runId): \(config.name), input \(inputPath)")
        options.log("reports: \(folder)")

        let limiter = RateLimiter(ratePerSecond: config.target.requestsPerSecond)
        let client = ScollectClient(baseURL: target.baseURL, credentials: target.credentials, limiter: limiter, audit: counter)
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

        let reads = config.writers.reduce(into: Set<AccountRead>()) { $0.formUnion($1.reads) }
        let state = RunState()
        var reportFailure: Error?

        // Lines of one batch are collected and written in row order at the end of the batch.
        var pendingLines: [RejectLine] = []
        func report(_ line: RejectLine) { pendingLines.append(line) }
        func flushReportLines() {
            for line in pendingLines.sorted(by: { ($0.row, $0.kind == .warning ? 0 : 1) < ($1.row, $1.kind == .warning ? 0 : 1) }) {
                do { try rejects.add(line) } catch { reportFailure = reportFailure ?? error }
            }
            pendingLines.removeAll(keepingCapacity: true)
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
            report(RejectLine(row: row, line: line, kind: .reject, reason: issue.reason, field: issue.field, message: message,
                              callsMade: callsMade, values: record?.values ?? [], rawText: rawText))
        }

        var endOfInput = exitCode != nil
        while !endOfInput {
            if options.isInterrupted() {
                exitCode = .interrupted
                abortReason = "interrupted: rows after row \(summary.rowsRead) were not read; run again to go on"
                break
            }
            // 1. Read and normalise one batch (on this thread: cheap next to the API calls).
            var slots: [NormalizedRow] = []
            var batchRows = 0
            do {
                while batchRows < config.target.batchSize, let result = try reader.next() {
                    batchRows += 1
                    summary.rowsRead += 1
                    switch result {
                    case let .malformed(row, line, message, rawText):
                        reject(nil, row: row, line: line, issue: RowIssue(.malformedRow, field: nil, "\(URL(fileURLWithPath: inputPath).lastPathComponent) row \(row) (line \(line)): \(message)"), rawText: rawText)
                    case let .record(record):
                        switch mapper.map(record) {
                        case let .row(row): slots.append(row)
                        case let .rejected(issues, warnings):
                            reportWarnings(warnings, of: record)
                            reject(record, row: record.row, line: record.line, issue: issues[0], others: Array(issues.dropFirst()))
                        }
                    }
                }
                if batchRows < config.target.batchSize { endOfInput = true }
            } catch {
                exitCode = .inputHeld
                abortReason = "\(error)"
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
            var outcomes = [RowOutcome?](repeating: nil, count: slots.count)
            let outcomesLock = NSLock()
            let batch = slots
            pool.run(tasks: groups.count) { [self] groupNumber, http in
                let rows = groups[groupNumber].map { batch[$0] }
                let results = self.process(rows, reads: reads, client: client, http: http, state: state)
                outcomesLock.lock()
                for (offset, index) in groups[groupNumber].enumerated() { outcomes[index] = results[offset] }
                outcomesLock.unlock()
            }

            // 3. Account for every row, in file order.
            for (index, row) in batch.enumerated() {
                reportWarnings(row.warnings, of: row.record)
                switch outcomes[index]! {
                case .written: summary.written += 1
                case .unchanged: summary.unchanged += 1
                case let .rejected(issue, callsMade):
                    reject(row.record, row: row.row, line: row.record.line, issue: issue, callsMade: callsMade)
                }
            }
            flushReportLines()
            options.log("rows \(summary.rowsRead): written \(summary.written), unchanged \(summary.unchanged), rejected \(summary.rejected), calls \(counter.total)")

            if let fatal = state.fatal {
                exitCode = fatal.0
                abortReason = fatal.1
                break
            }
        }

        flushReportLines()
        summary.callsByEndpoint = counter.byEndpoint
        summary.callsFailed = state.failedCalls
        do {
            try rejects.finish()
            try audit.finish()
            if let reportFailure { throw reportFailure }
        } catch {
            options.log("error: \(error)")
            abortReason = abortReason ?? "reports could not be written: \(error)"
            exitCode = exitCode ?? .inputHeld
        }
        if exitCode == nil {
            exitCode = summary.rejected > 0 ? .doneWithRejects : .done
        }
        var result = finish(exitCode!, abortReason)
        result.callsByEndpoint = counter.byEndpoint
        let summaryPath = folder + "/summary.json"
        _ = FileManager.default.createFile(atPath: summaryPath, contents: Data((result.json.serialized + "\n").utf8), attributes: [.posixPermissions: 0o600])
        PipelineRunner.pointLatest(at: folder, in: config.reportsFolder)
        return result
    }

    // MARK: the API phase of one account

    /// Shared between worker threads: failures that stop the run, and counts.
    final class RunState: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var fatal: (ExitCode, String)?
        private var failed = 0
        var failedCalls: Int { lock.lock(); defer { lock.unlock() }; return failed }
        func callFailed() { lock.lock(); failed += 1; lock.unlock() }
        func stop(_ code: ExitCode, _ reason: String) {
            lock.lock()
            if fatal == nil { fatal = (code, reason) }
            lock.unlock()
        }
    }

    func process(_ rows: [NormalizedRow], reads: Set<AccountRead>, client: ScollectClient, http: CurlHTTPClient, state: RunState) -> [RowOutcome] {
        let filenumber = rows[0].filenumber
        func rejectAll(_ issue: RowIssue) -> [RowOutcome] { rows.map { _ in .rejected(issue, callsMade: []) } }
        if state.fatal != nil {
            return rejectAll(RowIssue(.apiError, field: nil, "not attempted: the run was stopping (\(state.fatal!.1))"))
        }
        do {
            // Read what the account holds now. An account the API does not know is rejected:
            // a load never creates accounts.
            var snapshot = AccountSnapshot()
            let accountResult = try client.perform(APICall(method: "GET", endpoint: "getaccount", path: "/getaccount/\(PipelineRunner.pathComponent(filenumber))",
                                                           filenumber: filenumber, idempotent: true), using: http)
            switch accountResult.classification {
            case .success:
                guard let record = accountResult.json?["result"]?.arrayValue?.first?.objectValue else {
                    return rejectAll(RowIssue(.apiError, field: nil, "getaccount \(filenumber): unexpected response shape"))
                }
                for (key, value) in record { snapshot.fields[key] = value.stringValue }
            case .emptyResult:
                return rejectAll(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (getaccount: empty result); accounts are never created by a load"))
            case let .errorInBody(message, _) where PipelineRunner.meansNotFound(message):
                return rejectAll(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (getaccount: \(message))"))
            default:
                state.callFailed()
                noteUnavailability(accountResult, state: state)
                return rejectAll(issue(for: accountResult, summary: "getaccount", idempotent: true))
            }
            if reads.contains(.phones) {
                let phonesResult = try client.perform(APICall(method: "GET", endpoint: "getphones", path: "/getphones/\(PipelineRunner.pathComponent(filenumber))",
                                                              filenumber: filenumber, idempotent: true), using: http)
                switch phonesResult.classification {
                case .success:
                    for phone in phonesResult.json?["result"]?.arrayValue ?? [] {
                        if let number = phone["phonenumber"]?.stringValue { snapshot.phoneDigits.insert(number.filter(\.isNumber)) }
                    }
                case .emptyResult:
                    break
                case let .errorInBody(message, _) where message.lowercased().contains("does not have associated phone"):
                    break // the documented answer for an account without phones
                default:
                    state.callFailed()
                    noteUnavailability(phonesResult, state: state)
                    return rejectAll(issue(for: phonesResult, summary: "getphones", idempotent: true))
                }
            }

            // Write only what changes, row by row, against the state the earlier rows left.
            var outcomes: [RowOutcome] = []
            for row in rows {
                let planned = config.writers.flatMap { $0.plan(row, current: snapshot) }
                if planned.isEmpty {
                    outcomes.append(.unchanged)
                    continue
                }
                var made: [String] = []
                var failure: RowIssue?
                for plannedCall in planned {
                    let result = try client.perform(plannedCall.call, using: http)
                    if result.succeeded {
                        made.append(plannedCall.summary)
                        switch plannedCall.effect {
                        case let .setField(field, value): snapshot.fields[field] = value
                        case let .addPhone(digits): snapshot.phoneDigits.insert(digits)
                        }
                    } else {
                        state.callFailed()
                        noteUnavailability(result, state: state)
                        failure = issue(for: result, summary: plannedCall.summary, idempotent: plannedCall.call.idempotent)
                        break
                    }
                }
                outcomes.append(failure.map { .rejected($0, callsMade: made) } ?? .written)
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

    /// A call that still failed for lack of an answer after its retries means the API is
    /// down: stop after this batch rather than reject the rest of the file one row at a time.
    func noteUnavailability(_ result: APIResult, state: RunState) {
        switch result.classification {
        case .transportError, .rateLimited:
            state.stop(.apiUnavailable, "API unavailable after \(result.attempts) attempts: \(result.classification.message ?? "")")
        case let .httpError(status, _) where status >= 500:
            state.stop(.apiUnavailable, "API unavailable after \(result.attempts) attempts: \(result.classification.message ?? "")")
        default:
            break
        }
    }

    func issue(for result: APIResult, summary: String, idempotent: Bool) -> RowIssue {
        let message = "\(summary): \(result.classification.message ?? result.classification.label)"
        switch result.classification {
        case let .errorInBody(text, _):
            return RowIssue(PipelineRunner.meansNotFound(text) ? .accountNotFound : .apiError, field: nil, message)
        case .timeoutState: return RowIssue(.apiTimeout, field: nil, message)
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
