import ArgumentParser
import Foundation
import Logging
import ScollectETL

/// `--quiet` / `--verbose` / `--log-level` / `--log-format`, shared by `run`, `plan` and `demo`.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Log level error, and one summary line at the end instead of the table (for cron).")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Log level debug: also a line per API request (method, endpoint, file number, status, latency).")
    var verbose = false

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (default: info; error with --quiet, debug with --verbose).",
                               valueName: "level"))
    var logLevel: Logger.Level?

    @Option(help: ArgumentHelp("text (above the progress line) or json (one object per line on stderr with run_id, pipeline, input and target; no progress line; the end-of-run table still on stdout).",
                               valueName: "format"))
    var logFormat: CommandLog.Format = .text

    func validate() throws {
        if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be used together") }
    }

    var level: ProgressDisplay.Level { quiet ? .quiet : verbose ? .verbose : .normal }

    var effectiveLogLevel: Logger.Level { logLevel ?? (quiet ? .error : verbose ? .debug : .info) }

    /// The display of a run, installed as the command's logger.
    func makeDisplay() -> ProgressDisplay {
        let display = ProgressDisplay(level: level, format: logFormat)
        CommandLog.installed = display.logger(level: effectiveLogLevel)
        return display
    }
}

/// What a run shows on stderr while it goes. On a terminal: one status line redrawn in place
/// (rows, requests/s, 429s, retries, ETA), with log lines printed above it. Elsewhere (cron, a
/// pipe): a plain progress line after a batch, at most one every 10 seconds.
final class ProgressDisplay: @unchecked Sendable {
    enum Level { case quiet, normal, verbose }

    let level: Level
    let format: CommandLog.Format
    private let isTerminal: Bool
    private let plainLineInterval: Double
    private let write: (String) -> Void
    private let lock = NSLock()
    private let started = Date()
    private var statusLine = ""
    private var lastDrawn = Date.distantPast
    private var lastPlainLine: Date
    private var lastBatchShown = 0
    private var latestProgress: RunProgress?

    init(level: Level, format: CommandLog.Format = .text, isTerminal: Bool = isatty(2) != 0, plainLineInterval: Double = 10,
         write: @escaping (String) -> Void = { text in FileHandle.standardError.write(Data(text.utf8)) }) {
        self.level = level
        self.format = format
        self.isTerminal = isTerminal
        self.plainLineInterval = plainLineInterval
        self.write = write
        lastPlainLine = Date()
    }

    /// The run's logger: each event at `level` or above, secrets taken out, as a text line above
    /// the status line or as a JSON object.
    func logger(level: Logger.Level) -> Logger {
        Logger(label: "scollect-etl") { _ in
            ClosureLogHandler(level: level) { [self] level, message, metadata in
                let clean = CommandLog.redacted(message)
                switch format {
                case .text: log(LogLine.text(level: level, message: clean))
                case .json: writeLine(LogLine.json(level: level, message: clean, metadata: metadata))
                }
            }
        }
    }

    /// A text line from the run, above the status line.
    func log(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        // Notices quote server answers and file values: no control character reaches the terminal.
        printAboveStatus(TerminalText.printable(message, keepingNewlines: true))
    }

    /// A JSON line (already escaped: no control character in it).
    private func writeLine(_ json: String) {
        lock.lock()
        defer { lock.unlock() }
        write(json + "\n")
    }

    /// The last progress published: the end table takes its 429s and retries from it.
    var latest: RunProgress? { lock.lock(); defer { lock.unlock() }; return latestProgress }

    func update(_ progress: RunProgress) {
        lock.lock()
        defer { lock.unlock() }
        latestProgress = progress
        guard level != .quiet, format == .text else { return }
        let now = Date()
        if isTerminal {
            // Redrawing faster than the eye reads only costs the workers time.
            guard now.timeIntervalSince(lastDrawn) >= 0.2 else { return }
            lastDrawn = now
            statusLine = ProgressDisplay.describe(progress, width: ProgressDisplay.terminalWidth())
            write("\r\u{1B}[2K" + statusLine)
        } else if progress.batchesDone > lastBatchShown, now.timeIntervalSince(lastPlainLine) >= plainLineInterval {
            lastBatchShown = progress.batchesDone
            lastPlainLine = now
            write("progress: " + ProgressDisplay.describe(progress, width: .max) + "\n")
        }
    }

    /// The run is over: the status line is cleared so the summary starts on a clean line.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if isTerminal && !statusLine.isEmpty { write("\r\u{1B}[2K") }
        statusLine = ""
    }

    private func printAboveStatus(_ message: String) {
        if isTerminal && !statusLine.isEmpty {
            write("\r\u{1B}[2K" + message + "\n" + statusLine)
        } else {
            write(message + "\n")
        }
    }

    /// `rows 1200 (written 800, unchanged 300, rejected 100) | 412 req, 205/s | 429s 3, retries 5 | 45% read, ETA 1:20 | 0:41`
    static func describe(_ progress: RunProgress, width: Int) -> String {
        var parts = [
            "rows \(progress.rowsRead) (written \(progress.written), unchanged \(progress.unchanged), rejected \(progress.rejected))",
            "\(progress.requests) req, \(String(format: "%.0f", progress.requestsPerSecond))/s",
            "429s \(progress.rateLimited), retries \(progress.retries)",
        ]
        if let fraction = progress.fractionRead {
            if fraction >= 1 {
                parts.append("input read, finishing")
            } else {
                parts.append("\(Int((fraction * 100).rounded(.down)))% read" + (progress.estimatedSecondsLeft.map { ", ETA " + clock($0) } ?? ""))
            }
        }
        parts.append(clock(progress.elapsedSeconds))
        let line = parts.joined(separator: " | ")
        return line.count <= width ? line : String(line.prefix(max(0, width - 1))) + "…"
    }

    /// `m:ss`, or `h:mm:ss` from an hour.
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return whole >= 3600 ? String(format: "%d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
            : String(format: "%d:%02d", whole / 60, whole % 60)
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 120 }
        return Int(size.ws_col) - 1
    }
}
