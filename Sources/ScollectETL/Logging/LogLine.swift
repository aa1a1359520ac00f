import Foundation
import Logging

/// How a log event becomes a line an operator (or a log system) reads, with secrets taken out.
/// The engine logs through swift-log `Logger`s with metadata `run_id`, `pipeline`, `input` and
/// `target`; the command line chooses the handler (text above the progress display, or JSON).
public enum LogLine {
    /// The metadata the engine sets on its logger, in the order a JSON line shows them.
    public static let contextKeys = ["run_id", "pipeline", "input", "target"]

    /// The text form: the message after its level's prefix (`error: …`, `warning: …`,
    /// `notice: …`, `debug: …`; info bare), as the tool always printed them.
    public static func text(level: Logger.Level, message: String) -> String {
        switch level {
        case .trace: return "trace: " + message
        case .debug: return "debug: " + message
        case .info: return message
        case .notice: return "notice: " + message
        case .warning: return "warning: " + message
        case .error, .critical: return "error: " + message
        }
    }

    /// A request as it was answered (log level debug, `--verbose`): method, endpoint, file
    /// number, status, outcome, latency and the server's message — never a body (bodies can hold
    /// card data); the message masked and stripped of terminal control characters (a server's
    /// text is untrusted).
    public static func request(_ entry: AuditEntry) -> String {
        var line = "\(entry.method) \(entry.endpoint)"
        if let filenumber = entry.filenumber { line += " \(TerminalText.printable(filenumber))" }
        line += " → \(entry.httpStatus.map(String.init) ?? "no answer") \(entry.outcome) \(String(format: "%.1f", entry.latencyMs)) ms"
        if entry.attempt > 1 { line += " (attempt \(entry.attempt))" }
        if let message = entry.message { line += ": " + TerminalText.printable(Masking.maskFreeText(message)) }
        return line
    }

    /// One JSON object on one line: `time`, `level`, `message`, then the context keys (null
    /// when not known yet, so every line has `run_id`), then any other metadata.
    public static func json(level: Logger.Level, message: String, metadata: Logger.Metadata, date: Date = Date()) -> String {
        var pairs: [(String, JSONValue)] = [
            ("time", .string(AuditReport.timestamp(date))), ("level", .string(level.rawValue)), ("message", .string(message)),
        ]
        for key in contextKeys { pairs.append((key, metadata[key].map { .string("\($0)") } ?? .null)) }
        for key in metadata.keys.sorted() where !contextKeys.contains(key) { pairs.append((key, .string("\(metadata[key]!)"))) }
        return JSONValue.object(pairs).serialized
    }

    /// What may never reach a log line, removed from a message: card numbers (first 6 / last 4
    /// kept), SSNs (last 4), `apikey=…`/`"pin": "…"`/`password …`-style values, bearer tokens
    /// and JWTs, and the given secret values (the run's credentials) wherever they appear.
    public static func redacted(_ text: String, secrets: [String] = []) -> String {
        var result = Masking.maskFreeText(text)
        for secret in secrets where secret.count >= 6 { // shorter ones (PINs) would hit counts; the patterns catch them
            result = result.replacingOccurrences(of: secret, with: "***")
        }
        for (pattern, template) in redactions {
            result = pattern.stringByReplacingMatches(in: result, range: NSRange(result.startIndex..., in: result), withTemplate: template)
        }
        return result
    }

    private static let redactions: [(NSRegularExpression, String)] = [
        // apikey=…, "pin": "…", password: …, access_token=…, secret …
        (try! NSRegularExpression(pattern: #"(?i)((?<![A-Za-z0-9_])["']?(?:api_?key|pin|password|passwd|access_token|token|secret|cvv|cvv2|threedigitnumber)["']?\s*[:=]\s*["']?)[^"'\s,;&}]+"#),
         "$1***"),
        (try! NSRegularExpression(pattern: #"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"#), "$1***"),
        (try! NSRegularExpression(pattern: #"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"#), "***"),
    ]
}

/// A handler that hands each event, with the logger's metadata merged in, to a closure: the
/// command line's text and JSON outputs, and tests that collect lines.
public struct ClosureLogHandler: LogHandler {
    public typealias Write = @Sendable (_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) -> Void

    private let write: Write
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(level: Logger.Level = .info, write: @escaping Write) {
        self.logLevel = level
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        write(event.level, event.message.description, merged)
    }
}

extension Logger {
    /// Drops everything: the engine's default when nobody listens.
    public static var silent: Logger { Logger(label: "scollect-etl") { _ in SwiftLogNoOpLogHandler() } }

    /// Each event at `level` or above handed to `write`.
    public static func handing(to write: @escaping ClosureLogHandler.Write, level: Logger.Level = .info) -> Logger {
        Logger(label: "scollect-etl") { _ in ClosureLogHandler(level: level, write: write) }
    }
}
