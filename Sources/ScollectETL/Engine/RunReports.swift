import Foundation
import Logging

/// The reports of one run, load, export or rollback alike: a folder `<reports>/<run id>/`
/// (mode 0700) holding `audit.jsonl.gz` (every request, through a call counter), and when the
/// run has them `rejects.csv.gz` and an acknowledgement; `summary.json` at the end, and
/// `<reports>/latest` pointed at the folder. Lines are added from the run's own thread; the
/// first write failure is kept and becomes the run's abort reason when the reports are closed.
final class RunReports {
    let folder: String
    let reportsFolder: String
    let audit: AuditReport
    /// Counts requests per endpoint on their way to the audit: the client's audit sink.
    let counter: CallCounter
    let rejects: RejectReport?
    private(set) var acknowledgement: AcknowledgementReport?
    private var failure: Error?

    init(reportsFolder: String, runId: String, auditHeader: [(String, JSONValue)], rejectHeader: [String]?,
         rejectColumns: RejectColumns = RejectColumns()) throws {
        self.reportsFolder = reportsFolder
        let folder = URL(fileURLWithPath: reportsFolder).appendingPathComponent(runId).path
        self.folder = folder
        try PrivateFile.createDirectory(folder)
        rejects = try rejectHeader.map { try RejectReport(path: folder + "/rejects.csv.gz", header: $0, columns: rejectColumns) }
        audit = try AuditReport(path: folder + "/audit.jsonl.gz", header: auditHeader)
        counter = CallCounter(forwardingTo: audit)
    }

    /// A load run's acknowledgement file: in the run's folder, or `<input>.ack.<format>` in the
    /// folder the pipeline names (with the run id when that name is taken). Returns its path.
    func openAcknowledgement(_ settings: PipelineConfig.Acknowledgement, inputPath: String, runId: String) throws -> String {
        let name = settings.folder == nil ? "acknowledgement" : URL(fileURLWithPath: inputPath).deletingPathExtension().lastPathComponent + ".ack"
        var path = (settings.folder ?? folder) + "/" + name + "." + settings.format.rawValue
        if FileManager.default.fileExists(atPath: path) { path = (settings.folder ?? folder) + "/" + name + "." + runId + "." + settings.format.rawValue }
        if let ackFolder = settings.folder { try PrivateFile.createDirectory(ackFolder) }
        acknowledgement = try AcknowledgementReport(path: path, format: settings.format)
        return path
    }

    /// A held file is acknowledged as a whole (the run's exit and reason), not row by row.
    func discardAcknowledgement() {
        guard let acknowledgement else { return }
        try? acknowledgement.finish()
        try? FileManager.default.removeItem(atPath: acknowledgement.path)
        self.acknowledgement = nil
    }

    func add(_ line: RejectLine) {
        do { try rejects?.add(line) } catch { failure = failure ?? error }
    }

    func add(_ line: AcknowledgementReport.Line) {
        do { try acknowledgement?.add(line) } catch { failure = failure ?? error }
    }

    /// Finishes every report; a failure (now or earlier) as the run's abort reason.
    func close(log: Logger) -> String? {
        do { try acknowledgement?.finish() } catch { failure = failure ?? error }
        do {
            try rejects?.finish()
            try audit.finish()
            if let failure { throw failure }
            return nil
        } catch {
            log.error("\(error)")
            return "reports could not be written: \(error)"
        }
    }

    /// `summary.json` beside the reports, and `latest` pointed at the run's folder (not for a
    /// plan or a held file: `latest` is the last run that loaded).
    func writeSummary(_ summary: RunSummary, movingLatest: Bool = true) {
        try? PrivateFile.write(summary.json.serialized + "\n", to: folder + "/summary.json")
        guard movingLatest else { return }
        let link = reportsFolder + "/latest"
        try? FileManager.default.removeItem(atPath: link)
        try? FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: URL(fileURLWithPath: folder).lastPathComponent)
    }

    /// `20261202T031500Z-1a2b3c4d`: sortable by time, unique by its random suffix.
    static func makeRunId() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 16)
        return formatter.string(from: Date()) + "-" + String(repeating: "0", count: 8 - suffix.count) + suffix
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

extension RunSummary {
    /// The summary of a run that stopped now, with its exit code and reason.
    func ended(_ code: ExitCode, _ reason: String?, since started: Double) -> RunSummary {
        var summary = self
        summary.exitCode = code
        summary.abortReason = reason
        summary.elapsedSeconds = monotonicSeconds() - started
        return summary
    }
}
