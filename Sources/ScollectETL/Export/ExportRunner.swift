import Foundation
import Logging

/// Runs one export pipeline: `getportfoliolist`, then per portfolio (in the pipeline's order)
/// `get_accounts_in_portfolio`, then per account the included reads (`getaccount`,
/// `getpayments`, …), rate-limited and classified like a load run, in batches of
/// `target.batch_size` accounts spread over `max_in_flight` workers. Rows are written in a
/// stable order (portfolio order, then the API's account order) as each batch completes, so
/// memory holds one batch, not the portfolio.
///
/// An account that cannot be read (unknown, an error inside a 200, a call that kept failing)
/// is not exported: it goes to `rejects.csv.gz` and the summary, and the export goes on. The
/// file is written as `<file>.partial` and renamed only when the export is complete; a run
/// that stops (API unavailable, interrupted) leaves no export behind.
public final class ExportRunner {
    let config: ExportPipelineConfig
    let target: RunTarget
    /// `var`: the run's log lines carry its id once it has one.
    var options: RunOptions

    public init(config: ExportPipelineConfig, target: RunTarget, options: RunOptions = RunOptions()) {
        self.config = config
        self.target = target
        self.options = options
    }

    public static let rejectColumns = ["portfolio", "filenumber"]

    public func run() -> RunSummary {
        let started = monotonicSeconds()
        var summary = RunSummary()
        summary.pipeline = config.file
        summary.toolVersion = options.toolVersion
        summary.target = target.description
        summary.inputFile = "Scollect " + (config.portfolios == .all ? "portfolios: all" : {
            if case let .named(names) = config.portfolios { return "portfolios: " + names.joined(separator: ", ") }
            return ""
        }())
        func finish(_ code: ExitCode, _ reason: String? = nil) -> RunSummary {
            summary.exitCode = code
            summary.abortReason = reason
            summary.elapsedSeconds = monotonicSeconds() - started
            return summary
        }

        let runId = RunReports.makeRunId()
        summary.runId = runId
        options.log[metadataKey: "run_id"] = "\(runId)"
        options.log[metadataKey: "pipeline"] = "\(config.name)"
        options.log[metadataKey: "target"] = "\(target.description)"
        let reports: RunReports
        do {
            reports = try RunReports(reportsFolder: config.reportsFolder, runId: runId, auditHeader: [
                ("tool", .string("scollect-etl")), ("version", .string(options.toolVersion)), ("run_id", .string(runId)),
                ("pipeline", .string(config.file)), ("kind", .string("export")), ("output", .string(config.sink.path)),
                ("target", .string(target.description)), ("started", .string(AuditReport.timestamp(Date()))),
            ], rejectHeader: ExportRunner.rejectColumns)
            summary.reportFolder = reports.folder
            try PrivateFile.createDirectory(URL(fileURLWithPath: config.sink.path).deletingLastPathComponent().path)
        } catch {
            summary.reportFolder = URL(fileURLWithPath: config.reportsFolder).appendingPathComponent(runId).path
            return finish(.inputHeld, "\(error)")
        }
        let folder = reports.folder
        let counter = reports.counter
        options.log.info("run \(runId): export \(config.name) to \(config.sink.path)")
        options.log.info("reports: \(folder)")

        let state = RunState(health: APIHealth(window: config.target.retry.downAfter))
        let session = APISession(settings: config.target, target: target, audit: counter, health: state.health)
        defer { session.shutdown() }
        let client = session.client
        let pool = session.pool
        let http = session.transport()

        func reject(_ portfolio: String, _ filenumber: String, _ issue: RowIssue, row: Int) {
            summary.rejected += 1
            summary.rejectsByReason[issue.reason, default: 0] += 1
            reports.add(RejectLine(row: row, line: 0, kind: .reject, reason: issue.reason, field: issue.field, message: issue.message,
                                   callsMade: [], values: [portfolio, filenumber], rawText: nil))
        }

        var exitCode: ExitCode?
        var abortReason: String?
        let partial = config.sink.path + ".partial"
        var writer: (any ExportWriter)?
        body: do {
            // 1. The portfolios, in the pipeline's order (or the API's, for `all`).
            let list = try client.perform(APICall(method: "GET", endpoint: "getportfoliolist", path: "/getportfoliolist", filenumber: nil, idempotent: true), using: http)
            let known: [String]
            switch list.classification {
            case .success: known = (list.json?["result"]?.arrayValue ?? []).compactMap { $0["portfolio"]?.stringValue }
            case .emptyResult: known = []
            default:
                state.callFailed()
                exitCode = .apiUnavailable
                abortReason = "getportfoliolist: \(list.classification.message ?? list.classification.label)"
                break body
            }
            let portfolios: [String]
            switch config.portfolios {
            case .all: portfolios = known
            case let .named(names):
                if let missing = names.first(where: { !known.contains($0) }) {
                    exitCode = .badPipelineOrArguments
                    let hint = closestMatch(to: missing, in: known).map { " — did you mean \"\($0)\"?" } ?? ""
                    abortReason = "portfolio \"\(missing)\" is not in getportfoliolist\(hint)"
                    break body
                }
                portfolios = names
            }

            writer = try ExportWriters.make(config.sink, path: partial)
            try writer!.begin(columns: config.columns)

            // 2. Per portfolio its accounts; per batch of accounts their reads.
            portfolioLoop: for portfolio in portfolios {
                let filenumbers: [String]
                // The listing grows with the portfolio: it goes to a file and only the file
                // numbers are kept, so memory does not follow the portfolio's size.
                let spool = options.spoolFolder(reportsRunFolder: folder) + "/.listing-\(UUID().uuidString).json"
                defer { try? FileManager.default.removeItem(atPath: spool) }
                var listing = APICall(method: "POST", endpoint: "get_accounts_in_portfolio", path: "/get_accounts_in_portfolio",
                                      body: .strings([("portfolio", portfolio)]), filenumber: nil, idempotent: true)
                listing.spoolAnswerTo = spool
                let answer = try client.perform(listing, using: http)
                switch answer.classification {
                case .success:
                    filenumbers = try answer.json.map { ExportRunner.filenumbers(in: $0) } ?? ExportRunner.filenumbers(inFile: spool)
                case .emptyResult:
                    filenumbers = []
                case .errorInBody, .timeoutState, .unreadable:
                    state.callFailed()
                    reject(portfolio, "", answer.rowIssue(summary: "get_accounts_in_portfolio \(portfolio)", idempotent: true), row: summary.rowsRead)
                    continue portfolioLoop
                default:
                    state.callFailed()
                    exitCode = .apiUnavailable
                    abortReason = "get_accounts_in_portfolio \(portfolio): \(answer.classification.message ?? answer.classification.label)"
                    break portfolioLoop
                }
                if filenumbers.isEmpty {
                    summary.notices.append("portfolio \(portfolio) has no accounts")
                    options.log.notice("portfolio \(portfolio) has no accounts")
                }
                var start = 0
                while start < filenumbers.count {
                    if options.isInterrupted() {
                        exitCode = .interrupted
                        abortReason = "interrupted after \(summary.rowsRead) accounts"
                        break portfolioLoop
                    }
                    let batch = Array(filenumbers[start..<min(start + config.target.batchSize, filenumbers.count)])
                    start += batch.count
                    var results = [Result<ExportAccount, RowIssue>?](repeating: nil, count: batch.count)
                    let lock = NSLock()
                    pool.run(tasks: batch.count) { [self] index, workerHTTP in
                        let result = self.read(portfolio: portfolio, filenumber: batch[index], client: client, http: workerHTTP, state: state)
                        lock.lock()
                        results[index] = result
                        lock.unlock()
                    }
                    for (index, result) in results.enumerated() {
                        summary.rowsRead += 1
                        switch result! {
                        case let .success(account):
                            try writer!.write(config.columns.map { $0.value(for: account) })
                            summary.written += 1
                        case let .failure(issue):
                            reject(portfolio, batch[index], issue, row: summary.rowsRead)
                        }
                    }
                    options.log.info("accounts \(summary.rowsRead): exported \(summary.written), rejected \(summary.rejected), calls \(counter.total)")
                    if let fatal = state.fatal {
                        exitCode = fatal.0
                        abortReason = fatal.1
                        break portfolioLoop
                    }
                }
            }
            if exitCode == nil {
                try writer!.finish()
                writer = nil
                if rename(partial, config.sink.path) != 0 {
                    throw ReportError.writeFailed(path: config.sink.path, reason: String(cString: strerror(errno)))
                }
                summary.notices.append("exported \(summary.written) accounts to \(config.sink.path)")
            }
        } catch let error as ClientError {
            if case .credentialsRefused = error { exitCode = .credentialsRefused } else { exitCode = .apiUnavailable }
            abortReason = error.description
        } catch {
            exitCode = .inputHeld
            abortReason = "\(error)"
        }
        if exitCode != nil {
            // An incomplete export must not pass for a complete one.
            if let open = writer { try? open.finish() }
            unlink(partial)
            abortReason = (abortReason ?? "stopped") + ": no export was written; run the pipeline again"
        }

        summary.callsByEndpoint = counter.byEndpoint
        summary.callsFailed = state.failedCalls
        if let failure = reports.close(log: options.log) {
            abortReason = abortReason ?? failure
            exitCode = exitCode ?? .inputHeld
        }
        if exitCode == nil { exitCode = summary.rejected > 0 ? .doneWithRejects : .done }
        let result = finish(exitCode!, abortReason)
        reports.writeSummary(result)
        return result
    }

    /// The file numbers of a `get_accounts_in_portfolio` answer, in its order (`lotno` is the
    /// document's name for the file number).
    static func filenumbers(in json: JSONValue?) -> [String] {
        let items = json?["result"]?.arrayValue ?? json?["result"]?["result"]?.arrayValue ?? []
        return items.compactMap { item in
            let value = (item["lotno"] ?? item["filenumber"])?.stringValue?.trimmingCharacters(in: .whitespaces)
            return value?.isEmpty == false ? value : nil
        }
    }

    /// The `lotno` values of a spooled listing, in order, read in chunks (a streaming scan for
    /// the key; values are the document's plain strings).
    static func filenumbers(inFile path: String) throws -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let key = Array("\"lotno\"".utf8)
        var result: [String] = []
        var carry: [UInt8] = []
        while true {
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            var bytes = carry
            bytes.append(contentsOf: chunk)
            let atEnd = chunk.isEmpty
            var i = 0
            var keep = bytes.count
            scan: while i + key.count <= bytes.count {
                guard bytes[i] == key[0], Array(bytes[i..<(i + key.count)]) == key else { i += 1; continue }
                var j = i + key.count
                while j < bytes.count, [32, 9, 10, 13, 58].contains(bytes[j]) { j += 1 }  // spaces and the colon
                guard j < bytes.count, bytes[j] == 34 else {
                    if j >= bytes.count && !atEnd { keep = i; break scan }
                    i = j
                    continue
                }
                var k = j + 1
                while k < bytes.count, bytes[k] != 34 { k += bytes[k] == 92 ? 2 : 1 }
                if k >= bytes.count {
                    if !atEnd { keep = i; break scan }
                    break scan
                }
                let value = String(decoding: bytes[(j + 1)..<k], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                if !value.isEmpty { result.append(value) }
                i = k + 1
                keep = bytes.count
            }
            if atEnd { break }
            // Keep what may be the start of a key or value cut by the chunk's end.
            carry = keep < bytes.count ? Array(bytes[keep...]) : Array(bytes.suffix(key.count - 1))
        }
        return result
    }

    /// Reads one account: its record and the included lists.
    func read(portfolio: String, filenumber: String, client: ScollectClient, http: any HTTPTransport,
              state: RunState) -> Result<ExportAccount, RowIssue> {
        if let fatal = state.fatal {
            return .failure(RowIssue(.notAttempted, field: nil, "not read: the run was stopping (\(fatal.1))"))
        }
        var account = ExportAccount(portfolio: portfolio, filenumber: filenumber)
        do {
            for include in config.includes {
                let result = try client.perform(APIPath.accountRead(include.endpoint, filenumber), using: http)
                switch result.classification {
                case .success:
                    let payload = result.json?["result"]
                    if include == .account {
                        guard let record = payload?.arrayValue?.first?.objectValue ?? payload?.objectValue else {
                            return .failure(RowIssue(.apiError, field: nil, "getaccount \(filenumber): unexpected response shape"))
                        }
                        account.setRecord(record)
                    } else {
                        // getattempts answers {"result": [...]} or {"result": {"result": [...]}}.
                        account.lists[include] = payload?.arrayValue ?? payload?["result"]?.arrayValue ?? payload.map { [$0] } ?? []
                    }
                case .emptyResult:
                    if include == .account {
                        return .failure(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (getaccount: empty result)"))
                    }
                    account.lists[include] = []
                case let .errorInBody(message, _) where ResponseClass.meansNotFound(message):
                    return .failure(RowIssue(.accountNotFound, field: "filenumber", "account \(filenumber) does not exist in Scollect (\(include.endpoint): \(message))"))
                case let .errorInBody(message, _) where include != .account && message.lowercased().contains("does not have"):
                    account.lists[include] = [] // "does not have associated phone numbers", "… any notes or may not exist"
                default:
                    state.failed(result)
                    return .failure(result.rowIssue(summary: "\(include.endpoint) \(filenumber)", idempotent: true))
                }
            }
            return .success(account)
        } catch let error as ClientError {
            if case .credentialsRefused = error { state.stop(.credentialsRefused, error.description) } else { state.stop(.apiUnavailable, error.description) }
            return .failure(RowIssue(.apiError, field: nil, error.description))
        } catch {
            state.stop(.apiUnavailable, "\(error)")
            return .failure(RowIssue(.apiError, field: nil, "\(error)"))
        }
    }
}
