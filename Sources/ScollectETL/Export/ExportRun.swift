import Foundation
import Logging

/// The work of one export run (see `ExportRunner`): the portfolios, each one's accounts batch
/// by batch, the rows written to `<file>.partial`, renamed once complete. `run()` answers why
/// it stopped early, or nil when the export was written; `summary` holds what it counted.
final class ExportRun {
    /// Why a run stopped before its export was complete.
    struct Stop: Error {
        let code: ExitCode
        let reason: String
        init(_ code: ExitCode, _ reason: String) {
            self.code = code
            self.reason = reason
        }
    }

    private(set) var summary: RunSummary
    private let config: ExportPipelineConfig
    private let options: RunOptions
    private let reports: RunReports
    private let session: APISession
    private let state: RunState
    private let http: any HTTPTransport
    private var log: Logger { options.log }
    /// The export file being written, until it is complete.
    private var writer: (any ExportWriter)?

    init(config: ExportPipelineConfig, options: RunOptions, summary: RunSummary, reports: RunReports, session: APISession, state: RunState) {
        self.config = config
        self.options = options
        self.summary = summary
        self.reports = reports
        self.session = session
        self.state = state
        self.http = session.transport()
    }

    func run() -> Stop? {
        let partial = config.sink.path + ".partial"
        var stop: Stop?
        do {
            try export(to: partial)
        } catch let early as Stop {
            stop = early
        } catch let error as ClientError {
            stop = Stop(error.exitCode, error.description)
        } catch {
            stop = Stop(.inputHeld, "\(error)")
        }
        guard let stop else { return nil }
        // An incomplete export must not pass for a complete one.
        if let open = writer { try? open.finish() }
        unlink(partial)
        return Stop(stop.code, stop.reason + ": no export was written; run the pipeline again")
    }

    private func export(to partial: String) throws {
        // Before any call: an export that cannot be written is not worth reading.
        try PrivateFile.createDirectory(URL(fileURLWithPath: config.sink.path).deletingLastPathComponent().path)
        let portfolios = try portfolioList()
        let writer = try ExportWriters.make(config.sink, path: partial)
        self.writer = writer
        try writer.begin(columns: config.columns)
        for portfolio in portfolios {
            try export(portfolio: portfolio, to: writer)
        }
        try writer.finish()
        self.writer = nil
        if rename(partial, config.sink.path) != 0 {
            throw ReportError.writeFailed(path: config.sink.path, reason: String(cString: strerror(errno)))
        }
        summary.notices.append("exported \(summary.written) accounts to \(config.sink.path)")
    }

    /// The portfolios to export, in the pipeline's order (or the API's, for `all`).
    private func portfolioList() throws -> [String] {
        let list = try session.client.perform(APICall(method: "GET", endpoint: "getportfoliolist", path: "/getportfoliolist",
                                                      filenumber: nil, idempotent: true), using: http)
        let known: [String]
        switch list.classification {
        case .success: known = (list.json?["result"]?.arrayValue ?? []).compactMap { $0["portfolio"]?.stringValue }
        case .emptyResult: known = []
        default:
            state.callFailed()
            throw Stop(.apiUnavailable, "getportfoliolist: \(list.classification.message ?? list.classification.label)")
        }
        guard case let .named(names) = config.portfolios else { return known }
        if let missing = names.first(where: { !known.contains($0) }) {
            let hint = closestMatch(to: missing, in: known).map { " — did you mean \"\($0)\"?" } ?? ""
            throw Stop(.badPipelineOrArguments, "portfolio \"\(missing)\" is not in getportfoliolist\(hint)")
        }
        return names
    }

    /// A portfolio's accounts, a batch at a time.
    private func export(portfolio: String, to writer: any ExportWriter) throws {
        guard let filenumbers = try accounts(of: portfolio) else { return }
        if filenumbers.isEmpty {
            summary.notices.append("portfolio \(portfolio) has no accounts")
            log.notice("portfolio \(portfolio) has no accounts")
        }
        var start = 0
        while start < filenumbers.count {
            if options.isInterrupted() { throw Stop(.interrupted, "interrupted after \(summary.rowsRead) accounts") }
            let batch = Array(filenumbers[start..<min(start + config.target.batchSize, filenumbers.count)])
            start += batch.count
            try export(batch: batch, of: portfolio, to: writer)
            log.info("accounts \(summary.rowsRead): exported \(summary.written), rejected \(summary.rejected), calls \(reports.counter.total)")
            if let fatal = state.fatal { throw Stop(fatal.0, fatal.1) }
        }
    }

    /// The file numbers of a portfolio, in the API's order; nil when its listing failed in a
    /// way that rejects the portfolio (the export goes on with the next one).
    private func accounts(of portfolio: String) throws -> [String]? {
        // The listing grows with the portfolio: it goes to a file and only the file numbers
        // are kept, so memory does not follow the portfolio's size.
        let spool = options.spoolFolder(reportsRunFolder: reports.folder) + "/.listing-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        var listing = APICall(method: "POST", endpoint: "get_accounts_in_portfolio", path: "/get_accounts_in_portfolio",
                              body: .strings([("portfolio", portfolio)]), filenumber: nil, idempotent: true)
        listing.spoolAnswerTo = spool
        let answer = try session.client.perform(listing, using: http)
        switch answer.classification {
        case .success:
            return try answer.json.map { ExportRunner.filenumbers(in: $0) } ?? ExportRunner.filenumbers(inFile: spool)
        case .emptyResult:
            return []
        case .errorInBody, .timeoutState, .unreadable:
            state.callFailed()
            reject(portfolio, "", answer.rowIssue(summary: "get_accounts_in_portfolio \(portfolio)", idempotent: true), row: summary.rowsRead)
            return nil
        default:
            state.callFailed()
            throw Stop(.apiUnavailable, "get_accounts_in_portfolio \(portfolio): \(answer.classification.message ?? answer.classification.label)")
        }
    }

    /// Reads a batch's accounts over the workers, then writes them in the batch's order.
    private func export(batch: [String], of portfolio: String, to writer: any ExportWriter) throws {
        var results = [Result<ExportAccount, RowIssue>?](repeating: nil, count: batch.count)
        let lock = NSLock()
        session.pool.run(tasks: batch.count) { [self] index, workerHTTP in
            let result = read(portfolio: portfolio, filenumber: batch[index], http: workerHTTP)
            lock.lock()
            results[index] = result
            lock.unlock()
        }
        for (index, result) in results.enumerated() {
            summary.rowsRead += 1
            switch result! {
            case let .success(account):
                try writer.write(config.columns.map { $0.value(for: account) })
                summary.written += 1
            case let .failure(issue):
                reject(portfolio, batch[index], issue, row: summary.rowsRead)
            }
        }
    }

    /// Reads one account: its record and the included lists.
    private func read(portfolio: String, filenumber: String, http: any HTTPTransport) -> Result<ExportAccount, RowIssue> {
        if let fatal = state.fatal {
            return .failure(RowIssue(.notAttempted, field: nil, "not read: the run was stopping (\(fatal.1))"))
        }
        var account = ExportAccount(portfolio: portfolio, filenumber: filenumber)
        do {
            for include in config.includes {
                let result = try session.client.perform(APIPath.accountRead(include.endpoint, filenumber), using: http)
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
            state.stop(error.exitCode, error.description)
            return .failure(RowIssue(.apiError, field: nil, error.description))
        } catch {
            state.stop(.apiUnavailable, "\(error)")
            return .failure(RowIssue(.apiError, field: nil, "\(error)"))
        }
    }

    private func reject(_ portfolio: String, _ filenumber: String, _ issue: RowIssue, row: Int) {
        summary.rejected += 1
        summary.rejectsByReason[issue.reason, default: 0] += 1
        reports.add(RejectLine(row: row, line: 0, kind: .reject, reason: issue.reason, field: issue.field, message: issue.message,
                               callsMade: [], values: [portfolio, filenumber], rawText: nil))
    }
}
