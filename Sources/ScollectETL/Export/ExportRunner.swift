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
        let runId = RunReports.makeRunId()
        summary.runId = runId
        options.log[metadataKey: "run_id"] = "\(runId)"
        options.log[metadataKey: "pipeline"] = "\(config.name)"
        options.log[metadataKey: "target"] = "\(target.description)"
        let reports: RunReports
        do {
            reports = try openReports(runId: runId)
            summary.reportFolder = reports.folder
        } catch {
            summary.reportFolder = URL(fileURLWithPath: config.reportsFolder).appendingPathComponent(runId).path
            return summary.ended(.inputHeld, "\(error)", since: started)
        }
        options.log.info("run \(runId): export \(config.name) to \(config.sink.path)")
        options.log.info("reports: \(reports.folder)")

        let state = RunState(health: APIHealth(window: config.target.retry.downAfter))
        let session = APISession(settings: config.target, target: target, audit: reports.counter, health: state.health)
        defer { session.shutdown() }
        let export = ExportRun(config: config, options: options, summary: summary, reports: reports, session: session, state: state)
        var stop = export.run()
        summary = export.summary
        summary.callsByEndpoint = reports.counter.byEndpoint
        summary.callsFailed = state.failedCalls
        if let failure = reports.close(log: options.log), stop == nil { stop = ExportRun.Stop(.inputHeld, failure) }
        let result = summary.ended(stop?.code ?? (summary.rejected > 0 ? .doneWithRejects : .done), stop?.reason, since: started)
        reports.writeSummary(result, movingLatest: result.exitCode != .inputHeld) // held, like a held file: `latest` stays
        return result
    }

    private func openReports(runId: String) throws -> RunReports {
        try RunReports(reportsFolder: config.reportsFolder, runId: runId, auditHeader: [
            ("tool", .string("scollect-etl")), ("version", .string(options.toolVersion)), ("run_id", .string(runId)),
            ("pipeline", .string(config.file)), ("kind", .string("export")), ("output", .string(config.sink.path)),
            ("target", .string(target.description)), ("started", .string(AuditReport.timestamp(Date()))),
        ], rejectHeader: ExportRunner.rejectColumns)
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
}
