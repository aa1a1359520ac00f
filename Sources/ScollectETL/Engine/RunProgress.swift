import Foundation
import Logging

/// Where a run stands, for a progress display: rows counted (after each batch), requests, 429s
/// and retries (live), and how far into the input file the reader is.
public struct RunProgress: Sendable, Equatable {
    public var rowsRead = 0
    public var written = 0
    public var unchanged = 0
    public var rejected = 0
    /// Batches fully accounted for: a display that prints a line per batch watches this.
    public var batchesDone = 0
    public var requests = 0
    public var rateLimited = 0
    public var retries = 0
    /// Bytes of the input file read so far; nil when it cannot be known (XLSX).
    public var inputBytesRead: Int64?
    public var inputBytes: Int64 = 0
    public var elapsedSeconds = 0.0

    public init() {}

    public var requestsPerSecond: Double { elapsedSeconds > 0 ? Double(requests) / elapsedSeconds : 0 }

    /// Share of the input file read, 0…1; nil when unknown.
    public var fractionRead: Double? {
        guard let inputBytesRead, inputBytes > 0 else { return nil }
        return min(1, Double(inputBytesRead) / Double(inputBytes))
    }

    /// Seconds left, from input bytes read against the file's size at the pace so far (the
    /// rows are not counted ahead of time: a second pass over a 1 GB file costs more than a
    /// rough ETA is worth). Nil until 1% of the file and 2 seconds have gone by.
    public var estimatedSecondsLeft: Double? {
        guard let fraction = fractionRead, fraction >= 0.01, elapsedSeconds >= 2 else { return nil }
        return elapsedSeconds * (1 - fraction) / fraction
    }
}

/// Publishes `RunProgress` for a run: the row counts after each batch, the request counts
/// after each request. Called from the runner's thread and from worker threads.
final class RunProgressReporter: @unchecked Sendable {
    private let publish: (@Sendable (RunProgress) -> Void)?
    private let onRequest: (@Sendable (AuditEntry) -> Void)?
    /// The run's logger: at level debug, a line per request (`LogLine.request`), with the run's context.
    private let log: Logger
    private let counters: RequestCounters
    private let input: InputFilePosition?
    private let started = monotonicSeconds()
    private let lock = NSLock()
    private var rows = RunProgress()
    private var lastRequestReport = -Double.infinity
    static let requestReportInterval = 0.1

    init(options: RunOptions, counters: RequestCounters, inputPath: String, source: PipelineConfig.Source) {
        publish = options.progress
        onRequest = options.onRequest
        log = options.log
        self.counters = counters
        // The reader the run opened; XLSX reads at explicit offsets (pread).
        let sequential = (try? source.readerOptions(for: inputPath).readsSequentially) ?? true
        input = options.progress == nil ? nil : InputFilePosition(path: inputPath, sequential: sequential)
    }

    /// After a batch: its rows are counted.
    func rowsCounted(_ summary: RunSummary) {
        lock.lock()
        rows.rowsRead = summary.rowsRead
        rows.written = summary.written
        rows.unchanged = summary.unchanged
        rows.rejected = summary.rejected
        rows.batchesDone += 1
        lock.unlock()
        report()
    }

    /// After every request (a worker's thread).
    @Sendable func requestAnswered(_ entry: AuditEntry) {
        onRequest?(entry)
        if log.logLevel <= .debug { log.debug("\(LogLine.request(entry))") }
        guard publish != nil else { return }
        // At most ten a second: the input's position costs two system calls, and no display
        // redraws faster. Each batch's end publishes anyway (`rowsCounted`), so the last
        // counts are never behind.
        let now = monotonicSeconds()
        lock.lock()
        let due = now - lastRequestReport >= RunProgressReporter.requestReportInterval
        if due { lastRequestReport = now }
        lock.unlock()
        if due { report() }
    }

    private func report() {
        guard let publish else { return }
        lock.lock()
        var progress = rows
        lock.unlock()
        let requests = counters.snapshot
        progress.requests = requests.requests
        progress.rateLimited = requests.rateLimited
        progress.retries = requests.retries
        progress.inputBytes = input?.size ?? 0
        progress.inputBytesRead = input?.bytesRead
        progress.elapsedSeconds = monotonicSeconds() - started
        publish(progress)
    }
}
