import Foundation

/// `audit.jsonl.gz`: a header line (tool version, pipeline, input file and its SHA-256,
/// target, start time), then one line per HTTP request with its masked body and classified
/// outcome. Secrets never reach it: bodies go through `Masking`, tokens are never recorded.
public final class AuditReport: AuditSink, @unchecked Sendable {
    private let writer: GzipFileWriter
    private let lock = NSLock()
    private var failure: Error?
    public private(set) var linesWritten = 0

    public init(path: String, header: [(String, JSONValue)]) throws {
        writer = try GzipFileWriter(path: path)
        try writer.write(JSONValue.object([("type", .string("header"))] + header).serialized + "\n")
    }

    public func record(_ entry: AuditEntry) {
        var pairs: [(String, JSONValue)] = [
            ("time", .string(AuditReport.timestamp(entry.time))),
            ("method", .string(entry.method)),
            ("endpoint", .string(entry.endpoint)),
            ("filenumber", entry.filenumber.map(JSONValue.string) ?? .null),
            ("request", entry.body.map(Masking.mask) ?? .null),
            ("http_status", entry.httpStatus.map { .number(Double($0)) } ?? .null),
            ("outcome", .string(entry.outcome)),
        ]
        if let message = entry.message { pairs.append(("message", .string(Masking.maskSSNs(in: message)))) }
        pairs.append(("latency_ms", .number((entry.latencyMs * 10).rounded() / 10)))
        pairs.append(("attempt", .number(Double(entry.attempt))))
        let line = JSONValue.object(pairs).serialized + "\n"
        lock.lock()
        defer { lock.unlock() }
        do {
            try writer.write(line)
            linesWritten += 1
        } catch {
            failure = failure ?? error
        }
    }

    public func finish() throws {
        lock.lock()
        defer { lock.unlock() }
        try writer.finish()
        if let failure { throw failure }
    }

    private static let formatterLock = NSLock()
    nonisolated(unsafe) private static let formatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }()

    /// ISO 8601 UTC with milliseconds. One shared formatter (making one per line is costly).
    static func timestamp(_ date: Date) -> String {
        formatterLock.lock()
        defer { formatterLock.unlock() }
        return formatter.string(from: date)
    }
}
