import Foundation

/// What `GET /_sandbox/stats` reports (since the last reset).
public struct SandboxStats: Sendable, Equatable {
    /// Admitted requests per endpoint (first path component: `login`, `getaccount`, `updatedbase`…).
    public var endpoints: [String: Int]
    /// All admitted requests.
    public var admitted: Int
    /// Requests answered 429 by the rate limit.
    public var rejected429: Int
    /// Largest number of admitted requests in any sliding one-second window.
    public var maxInAnySecond: Int

    var json: SandboxJSON {
        [
            "endpoints": .object(endpoints.mapValues { .int($0) }),
            "admitted": .int(admitted),
            "rejected_429": .int(rejected429),
            "max_in_any_second": .int(maxInAnySecond),
        ]
    }
}

/// The optional faults, changeable while the server runs.
public struct SandboxFaults: Sendable, Equatable {
    /// Admitted requests per sliding second; nil = unlimited.
    public var rateLimit: Int?
    /// Access-token lifetime in seconds.
    public var tokenTTL: Double
}

/// Rate limit and counters for the API routes (admin routes are neither limited nor counted).
///
/// The limit admits a request when fewer than R requests were admitted in the last second
/// (sliding window on a monotonic clock); otherwise the request gets 429 and is not counted as
/// admitted. `max_in_any_second` is tracked from the admitted timestamps since the last reset:
/// the largest window count is always reached at an admission, so counting the admissions in the
/// second ending at each one finds it.
final class SandboxTraffic: @unchecked Sendable {
    enum Decision: Equatable {
        case admitted
        case limited(retryAfter: Int)
    }

    private let lock = NSLock()
    private var faults: SandboxFaults
    /// Admitted timestamps of the last second, for the limit (kept across stats resets).
    private var limitWindow = TimestampWindow()
    /// Admitted timestamps of the last second since the last reset, for `max_in_any_second`.
    private var statsWindow = TimestampWindow()
    private var stats = SandboxStats(endpoints: [:], admitted: 0, rejected429: 0, maxInAnySecond: 0)

    init(faults: SandboxFaults) {
        self.faults = faults
    }

    static func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000_000
    }

    func admit(endpoint: String, at now: Double = SandboxTraffic.now()) -> Decision {
        lock.lock()
        defer { lock.unlock() }
        limitWindow.prune(before: now - 1)
        if let limit = faults.rateLimit, limitWindow.count >= limit {
            stats.rejected429 += 1
            let wait = (limitWindow.oldest.map { $0 + 1 - now } ?? 1).rounded(.up)
            return .limited(retryAfter: max(1, Int(wait)))
        }
        limitWindow.append(now)
        statsWindow.prune(before: now - 1)
        statsWindow.append(now)
        stats.maxInAnySecond = max(stats.maxInAnySecond, statsWindow.count)
        stats.admitted += 1
        stats.endpoints[endpoint, default: 0] += 1
        return .admitted
    }

    var currentFaults: SandboxFaults {
        lock.lock()
        defer { lock.unlock() }
        return faults
    }

    func update(_ change: (inout SandboxFaults) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        change(&faults)
    }

    var currentStats: SandboxStats {
        lock.lock()
        defer { lock.unlock() }
        return stats
    }

    func resetStats() {
        lock.lock()
        defer { lock.unlock() }
        stats = SandboxStats(endpoints: [:], admitted: 0, rejected429: 0, maxInAnySecond: 0)
        statsWindow = TimestampWindow()
    }
}

/// Increasing timestamps of one sliding window (a queue over an array).
struct TimestampWindow {
    private var times: [Double] = []
    private var head = 0

    var count: Int { times.count - head }
    var oldest: Double? { head < times.count ? times[head] : nil }

    mutating func append(_ t: Double) {
        times.append(t)
    }

    /// Drops timestamps at or before `limit` (the window is `(now - 1, now]`).
    mutating func prune(before limit: Double) {
        while head < times.count && times[head] <= limit { head += 1 }
        if head > 4096 && head * 2 > times.count {
            times.removeFirst(head)
            head = 0
        }
    }
}
