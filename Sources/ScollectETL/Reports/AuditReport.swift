import Foundation

/// `audit.jsonl.gz`: a header line (tool version, pipeline, input file and its SHA-256,
/// target, start time), then one line per HTTP request with its masked body and classified
/// outcome. Secrets never reach it: bodies go through `Masking`, tokens are never recorded.
///
/// The workers only format their line and append it to a buffer; full buffers (64 KiB) are
/// compressed and written in order on a queue of their own, at most four waiting at a time.
/// What the run's HTML report shows of the requests (`statistics`) is gathered as the lines are
/// written, from the same values: reading the audit back cost as much CPU as the run's calls'
/// own JSON (`valgrind --tool=callgrind`, Benchmarks/README.md).
public final class AuditReport: AuditSink, @unchecked Sendable {
    private let writer: GzipFileWriter
    private let lock = NSLock()
    private var buffer: [UInt8] = []
    private let compressor = DispatchQueue(label: "scollect.audit.gzip")
    private let waiting = DispatchSemaphore(value: 4)
    private let failureLock = NSLock()
    private var failure: Error?
    public private(set) var linesWritten = 0
    private var gathered = AuditStatistics()
    static let bufferBytes = 64 * 1024

    public init(path: String, header: [(String, JSONValue)]) throws {
        // Level 1: a line per request is compressed 2.4 times faster than at zlib's default (6),
        // for a file 26 % larger (13.5 times smaller than the text instead of 17): the audit's
        // compression was ~6 % of the instructions of a call (Benchmarks/README.md).
        writer = try GzipFileWriter(path: path, level: 1)
        try writer.write(JSONValue.object([("type", .string("header"))] + header).serialized + "\n")
        for (key, value) in header { gathered.header[key] = value.stringValue }
        buffer.reserveCapacity(AuditReport.bufferBytes + 4096)
    }

    public func record(_ entry: AuditEntry) {
        // Written straight into the line's bytes, in the order and form `JSONValue`'s writer
        // gives an object (building one first cost a pair array and a boxed value per key).
        let message = entry.message.map(Masking.maskSSNs(in:))
        let latency = (entry.latencyMs * 10).rounded() / 10
        var line: [UInt8] = []
        line.reserveCapacity(384)
        func key(_ text: StaticString) {
            line.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        key("{\"time\":\"")
        AuditReport.writeTimestamp(entry.time, to: &line)
        key("\",\"method\":")
        JSONValue.writeString(entry.method, to: &line)
        key(",\"endpoint\":")
        JSONValue.writeString(entry.endpoint, to: &line)
        key(",\"filenumber\":")
        if let filenumber = entry.filenumber { JSONValue.writeString(filenumber, to: &line) } else { key("null") }
        key(",\"request\":")
        if let body = entry.body { Masking.mask(body).write(to: &line) } else { key("null") }
        key(",\"http_status\":")
        if let status = entry.httpStatus { JSONValue.writeInteger(Int64(status), to: &line) } else { key("null") }
        key(",\"outcome\":")
        JSONValue.writeString(entry.outcome, to: &line)
        if let message {
            key(",\"message\":")
            JSONValue.writeString(message, to: &line)
        }
        key(",\"latency_ms\":")
        JSONValue.number(latency).write(to: &line)
        key(",\"attempt\":")
        JSONValue.writeInteger(Int64(entry.attempt), to: &line)
        key("}\n")
        lock.lock()
        defer { lock.unlock() }
        buffer.append(contentsOf: line)
        linesWritten += 1
        // As `AuditStatistics.read` finds it in the line: the time to the millisecond.
        gathered.add(AuditedRequest(time: (entry.time.timeIntervalSince1970 * 1000).rounded(.down) / 1000, method: entry.method,
                                    endpoint: entry.endpoint, filenumber: entry.filenumber, httpStatus: entry.httpStatus,
                                    outcome: entry.outcome, message: message, latencyMs: latency, attempt: entry.attempt))
        if buffer.count >= AuditReport.bufferBytes { handOver() }
    }

    /// Under `lock`: the buffer to the compressing queue (in order: the queue is serial).
    private func handOver() {
        guard !buffer.isEmpty else { return }
        let chunk = buffer
        buffer.removeAll(keepingCapacity: true)
        waiting.wait()
        compressor.async { [self] in
            do { try writer.write(chunk) } catch {
                failureLock.lock()
                failure = failure ?? error
                failureLock.unlock()
            }
            waiting.signal()
        }
    }

    /// The requests recorded so far, as `AuditStatistics.read` would find them in the file.
    public var statistics: AuditStatistics {
        lock.lock()
        defer { lock.unlock() }
        return gathered
    }

    public func finish() throws {
        lock.lock()
        defer { lock.unlock() }
        handOver()
        compressor.sync {}
        try writer.finish()
        failureLock.lock()
        defer { failureLock.unlock() }
        if let failure { throw failure }
    }

    /// ISO 8601 UTC with milliseconds (`2026-11-23T08:15:02.123Z`), the milliseconds truncated.
    static func timestamp(_ date: Date) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        writeTimestamp(date, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `timestamp(_:)`'s 24 bytes, appended to `out`.
    static func writeTimestamp(_ date: Date, to out: inout [UInt8]) {
        let since1970 = date.timeIntervalSince1970
        let seconds = since1970.rounded(.down)
        var millis = Int(((since1970 - seconds) * 1000).rounded(.down))
        var time = time_t(seconds)
        if millis > 999 { millis = 999 }
        var parts = tm()
        gmtime_r(&time, &parts)
        func put(_ value: Int, _ digits: Int, then separator: UInt8) {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
                v %= divisor
                divisor /= 10
            }
            out.append(separator)
        }
        put(Int(parts.tm_year) + 1900, 4, then: UInt8(ascii: "-"))
        put(Int(parts.tm_mon) + 1, 2, then: UInt8(ascii: "-"))
        put(Int(parts.tm_mday), 2, then: UInt8(ascii: "T"))
        put(Int(parts.tm_hour), 2, then: UInt8(ascii: ":"))
        put(Int(parts.tm_min), 2, then: UInt8(ascii: ":"))
        put(Int(parts.tm_sec), 2, then: UInt8(ascii: "."))
        put(millis, 3, then: UInt8(ascii: "Z"))
    }
}
