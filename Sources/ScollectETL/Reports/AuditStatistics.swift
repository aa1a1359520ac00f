import Foundation

/// One request as read back from `audit.jsonl.gz` (no body: a report never needs it).
public struct AuditedRequest: Sendable {
    /// Seconds since 1970, from the line's `time`.
    public var time: Double
    public var method: String
    public var endpoint: String
    public var filenumber: String?
    public var httpStatus: Int?
    public var outcome: String
    public var message: String?
    public var latencyMs: Double
    public var attempt: Int

    public init(time: Double, method: String, endpoint: String, filenumber: String?, httpStatus: Int?, outcome: String,
                message: String?, latencyMs: Double, attempt: Int) {
        self.time = time
        self.method = method
        self.endpoint = endpoint
        self.filenumber = filenumber
        self.httpStatus = httpStatus
        self.outcome = outcome
        self.message = message
        self.latencyMs = latencyMs
        self.attempt = attempt
    }

    /// No usable answer: a 429, an HTTP or transport error, a timeout, an unreadable answer.
    /// An error inside a 200 is an answer (an unknown account, an account without phones);
    /// the rows it concerns are in the rejects report.
    public var failed: Bool { !["success", "empty_result", "error_in_200"].contains(outcome) }
}

/// Latencies in buckets 5% wide from 0.01 ms to 10 minutes: percentiles within 5%, in a fixed
/// ~370 counters whatever the number of requests.
public struct LatencyHistogram: Sendable {
    static let smallest = 0.01
    static let growth = 1.05
    static let bucketCount = Int((log(600_000 / smallest) / log(growth)).rounded(.up)) + 1
    private var buckets = [Int](repeating: 0, count: LatencyHistogram.bucketCount)
    public private(set) var count = 0
    public private(set) var maximum = 0.0

    public init() {}

    public mutating func add(_ milliseconds: Double) {
        let index = milliseconds <= LatencyHistogram.smallest ? 0
            : min(LatencyHistogram.bucketCount - 1, Int((log(milliseconds / LatencyHistogram.smallest) / log(LatencyHistogram.growth)).rounded(.up)))
        buckets[index] += 1
        count += 1
        maximum = max(maximum, milliseconds)
    }

    /// The latency under which `quantile` (0…1) of the requests were answered: the upper edge
    /// of its bucket, never above the maximum seen.
    public func percentile(_ quantile: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((quantile * Double(count)).rounded(.up)))
        var seen = 0
        for (index, bucketCount) in buckets.enumerated() {
            seen += bucketCount
            if seen >= rank { return min(maximum, LatencyHistogram.smallest * pow(LatencyHistogram.growth, Double(index))) }
        }
        return maximum
    }
}

/// What the run report shows of the requests, gathered in one pass over the audit with memory
/// that does not grow with the number of requests: counts per second of the run, a latency
/// histogram per endpoint, the slowest requests, the first failed ones.
public struct AuditStatistics: Sendable {
    public struct Second: Sendable, Equatable {
        public var requests = 0
        public var failed = 0
        public var rateLimited = 0
    }

    public static let slowestKept = 20
    public static let failedKept = 200

    /// The audit's header line (tool, version, input and its SHA-256, target, start time).
    public var header: [String: String] = [:]
    public private(set) var requests = 0
    public private(set) var rateLimited = 0
    public private(set) var retries = 0
    public private(set) var failedTotal = 0
    /// Answers that were an error inside a 200 (`error_in_200`).
    public private(set) var errorAnswers = 0
    public private(set) var firstTime: Double?
    public private(set) var lastTime: Double?
    /// Requests per whole second since the first request.
    public private(set) var perSecond: [Int: Second] = [:]
    public private(set) var latencyByEndpoint: [String: LatencyHistogram] = [:]
    /// Slowest first.
    public private(set) var slowest: [AuditedRequest] = []
    /// The first `failedKept` failed requests, in the order they were made.
    public private(set) var failed: [AuditedRequest] = []

    public init() {}

    public mutating func add(_ request: AuditedRequest) {
        requests += 1
        if request.outcome == "rate_limited" { rateLimited += 1 }
        if request.attempt > 1 { retries += 1 }
        if request.outcome == "error_in_200" { errorAnswers += 1 }
        let start = firstTime ?? request.time
        // Workers finish out of order: a request may start before the first one recorded.
        if request.time < start {
            perSecond = AuditStatistics.shifted(perSecond, by: Int((start - request.time).rounded(.up)))
            firstTime = start - (start - request.time).rounded(.up)
        } else if firstTime == nil {
            firstTime = start
        }
        lastTime = max(lastTime ?? request.time, request.time)
        let second = Int(request.time - firstTime!)
        perSecond[second, default: Second()].requests += 1
        if request.failed {
            perSecond[second]!.failed += 1
            failedTotal += 1
            if failed.count < AuditStatistics.failedKept { failed.append(request) }
        }
        if request.outcome == "rate_limited" { perSecond[second]!.rateLimited += 1 }
        latencyByEndpoint[request.endpoint, default: LatencyHistogram()].add(request.latencyMs)
        if slowest.count < AuditStatistics.slowestKept || request.latencyMs > slowest.last!.latencyMs {
            let index = slowest.firstIndex { $0.latencyMs < request.latencyMs } ?? slowest.count
            slowest.insert(request, at: index)
            if slowest.count > AuditStatistics.slowestKept { slowest.removeLast() }
        }
    }

    private static func shifted(_ seconds: [Int: Second], by offset: Int) -> [Int: Second] {
        Dictionary(uniqueKeysWithValues: seconds.map { ($0.key + offset, $0.value) })
    }

    /// Seconds from the first request's start to the last one's.
    public var spanSeconds: Int { perSecond.keys.max().map { $0 + 1 } ?? 0 }

    // MARK: reading the audit

    /// Reads an `audit.jsonl.gz` line by line (a million requests never sit in memory at once).
    public static func read(auditPath: String) throws -> AuditStatistics {
        var statistics = AuditStatistics()
        let source = try GzipByteSource(path: auditPath)
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        func take(_ line: ArraySlice<UInt8>) {
            guard !line.isEmpty, let json = JSONValue.parse(Data(line)) else { return }
            if json["type"]?.stringValue == "header" {
                for (key, value) in json.objectValue ?? [] where key != "type" { statistics.header[key] = value.stringValue }
            } else if let request = AuditedRequest(auditLine: json) {
                statistics.add(request)
            }
        }
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { break }
            var start = 0
            for index in 0..<count where buffer[index] == 10 {
                if pending.isEmpty {
                    take(buffer[start..<index])
                } else {
                    pending.append(contentsOf: buffer[start..<index])
                    take(pending[...])
                    pending.removeAll(keepingCapacity: true)
                }
                start = index + 1
            }
            pending.append(contentsOf: buffer[start..<count])
        }
        take(pending[...])
        return statistics
    }
}

extension AuditedRequest {
    /// From one line of the audit; nil for a line that is not a request.
    init?(auditLine json: JSONValue) {
        guard let timeText = json["time"]?.stringValue, let time = AuditedRequest.epochSeconds(iso8601: timeText),
              let endpoint = json["endpoint"]?.stringValue, let outcome = json["outcome"]?.stringValue else { return nil }
        var status: Int?
        if case let .number(value)? = json["http_status"] { status = Int(value) }
        var latency = 0.0
        if case let .number(value)? = json["latency_ms"] { latency = value }
        var attempt = 1
        if case let .number(value)? = json["attempt"] { attempt = Int(value) }
        self.init(time: time, method: json["method"]?.stringValue ?? "", endpoint: endpoint, filenumber: json["filenumber"]?.stringValue,
                  httpStatus: status, outcome: outcome, message: json["message"]?.stringValue, latencyMs: latency, attempt: attempt)
    }

    /// `2026-11-23T21:40:47.123Z` (the audit's own format) to seconds since 1970, by hand:
    /// a formatter per line would cost more than the rest of the read.
    static func epochSeconds(iso8601 text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == 45, bytes[7] == 45, bytes[10] == 84, bytes[13] == 58, bytes[16] == 58 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard bytes[index] >= 48, bytes[index] <= 57 else { return nil }
                value = value * 10 + Int(bytes[index] - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var fraction = 0.0
        var index = 19
        if bytes[index] == 46 {
            var scale = 0.1
            index += 1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        guard index < bytes.count, bytes[index] == 90 else { return nil } // the audit writes UTC ("Z")
        // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Double(days * 86400 + hour * 3600 + minute * 60 + second) + fraction
    }
}
