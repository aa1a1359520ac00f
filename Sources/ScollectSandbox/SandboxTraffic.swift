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
    /// Largest number of API requests that arrived (admitted or answered 429) in any sliding
    /// one-second window: the pace the client really kept.
    public var maxArrivalsInAnySecond: Int = 0
    /// API requests that arrived (admitted or answered 429).
    public var arrivals: Int = 0
    /// Seconds from the first arrival to the last: `(arrivals - 1) / arrivalSpan` is the pace
    /// the client sustained.
    public var arrivalSpan: Double = 0
    /// Arrivals in each whole second since the first one (the last bin is partial).
    public var arrivalsBySecond: [Int] = []
    /// Arrival times (seconds since the first arrival) by caller: the end of its bearer token
    /// (one per login), `anonymous` without one. The first `SandboxTraffic.arrivalTimesKept`
    /// arrivals since the last reset; `GET /_sandbox/arrivals`.
    public var arrivalsByCaller: [String: [Double]] = [:]
    /// Committed writes whose connection was dropped mid-answer (`drop_after_commit`).
    public var droppedAfterCommit: Int = 0
    /// Committed writes whose connection was closed without a byte of answer (`close_after_commit`).
    public var closedAfterCommit: Int = 0
    /// Committed writes answered `{"state": "TIMEOUT", …}` (`timeout_after_commit`).
    public var timedOutAfterCommit: Int = 0
    /// Committed writes answered HTTP 200 with an empty body (`empty_after_commit`).
    public var emptyAnswersAfterCommit: Int = 0
    /// Committed writes answered HTTP 502 (`bad_gateway_after_commit`).
    public var injected502AfterCommit: Int = 0
    /// Requests answered HTTP 500 without being acted on (`http_500`).
    public var injected500: Int = 0
    /// Requests whose connection was dropped without being acted on (`drop_connection`).
    public var droppedBeforeHandling: Int = 0

    /// Committed writes dealt this after-commit fault.
    public func count(of fault: AfterCommitFault) -> Int { self[keyPath: fault.count] }

    var json: SandboxJSON {
        var object: [String: SandboxJSON] = [
            "endpoints": .object(endpoints.mapValues { .int($0) }),
            "admitted": .int(admitted),
            "rejected_429": .int(rejected429),
            "max_in_any_second": .int(maxInAnySecond),
            "max_arrivals_in_any_second": .int(maxArrivalsInAnySecond),
            "arrivals": .int(arrivals),
            "arrival_span_seconds": .double(arrivalSpan),
            "arrivals_by_second": .array(arrivalsBySecond.map { .int($0) }),
            "injected_500": .int(injected500),
            "dropped_before_handling": .int(droppedBeforeHandling),
        ]
        for fault in AfterCommitFault.allCases { object[fault.statsKey] = .int(self[keyPath: fault.count]) }
        return .object(object)
    }
}

/// The optional faults, changeable while the server runs.
public struct SandboxFaults: Sendable, Equatable {
    /// Admitted requests per sliding second; nil = unlimited.
    public var rateLimit: Int?
    /// Access-token lifetime in seconds.
    public var tokenTTL: Double
    /// Share (0…1) of committed writes whose connection is then dropped mid-answer (see `DropAfterCommit`).
    public var dropAfterCommit: Double = 0
    /// Seed of the draws deciding which requests and writes meet a fault.
    public var faultSeed: UInt64 = 0
    /// Share (0…1) of API requests answered HTTP 500 without being acted on.
    public var serverErrorShare: Double = 0
    /// Share (0…1) of API requests whose connection is dropped without being acted on.
    public var dropShare: Double = 0
    /// Added to every API request before it is handled, in milliseconds.
    public var latencyMs: Double = 0
    /// The `msg` of an injected HTTP 500.
    public var serverErrorMessage = SandboxFaults.defaultServerErrorMessage
    /// Sent as the 429's `Retry-After` instead of the seconds to wait.
    public var retryAfterHeader: String?

    public static let defaultServerErrorMessage = "Internal server error (injected fault)"

    /// Share (0…1) of committed writes whose connection is then closed without a byte of answer.
    public var closeAfterCommit: Double = 0
    /// Share (0…1) of committed writes then answered HTTP 200 `{"state": "TIMEOUT", …}`.
    public var timeoutAfterCommit: Double = 0
    /// Share (0…1) of committed writes then answered HTTP 200 with an empty body.
    public var emptyAfterCommit: Double = 0
    /// Share (0…1) of committed writes then answered HTTP 502.
    public var badGatewayAfterCommit: Double = 0

    /// The share of one after-commit fault.
    public func share(of fault: AfterCommitFault) -> Double {
        self[keyPath: fault.share]
    }
}

/// What a request faces before it is handled.
enum RequestFault {
    case none
    case serverError
    case drop
}

/// Faults and counters for the API routes (admin routes are neither limited nor counted).
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
    /// Arrival timestamps (429s included) of the last second since the last reset.
    private var arrivalsWindow = TimestampWindow()
    private var stats = SandboxStats(endpoints: [:], admitted: 0, rejected429: 0, maxInAnySecond: 0)
    /// The first arrival since the last reset.
    private var firstArrival: Double?
    /// The draws of the after-commit faults, one stream per fault (`AfterCommitFault.allCases`
    /// order), one draw from each per committed write.
    private var afterCommitDraws: [SplitMix64]
    /// The draws of `http_500` and `drop_connection`, one per API request: a stream of its own,
    /// so that turning these on does not change which writes `drop_after_commit` picks.
    private var requestDraws: SplitMix64

    init(faults: SandboxFaults) {
        self.faults = faults
        self.afterCommitDraws = Self.afterCommitStreams(faults.faultSeed)
        self.requestDraws = SplitMix64(seed: faults.faultSeed ^ 0x5EED_F4A1_7000_0001)
    }

    static func now() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000_000
    }

    /// Arrival times kept per reset (for `arrivalsByCaller`), so a long-running server stays small.
    static let arrivalTimesKept = 1_000_000

    func admit(endpoint: String, caller: String = "anonymous", at now: Double = SandboxTraffic.now()) -> Decision {
        lock.lock()
        defer { lock.unlock() }
        arrivalsWindow.prune(before: now - 1)
        arrivalsWindow.append(now)
        stats.maxArrivalsInAnySecond = max(stats.maxArrivalsInAnySecond, arrivalsWindow.count)
        let first = firstArrival ?? now
        firstArrival = first
        stats.arrivals += 1
        stats.arrivalSpan = now - first
        if stats.arrivals <= Self.arrivalTimesKept { stats.arrivalsByCaller[caller, default: []].append(now - first) }
        let bin = Int(stats.arrivalSpan)
        if bin < 86_400 {
            while stats.arrivalsBySecond.count <= bin { stats.arrivalsBySecond.append(0) }
            stats.arrivalsBySecond[bin] += 1
        }
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

    /// Changes the faults; a changed `faultSeed`, or `reseed`, restarts the draws from that seed.
    func update(reseed: Bool = false, _ change: (inout SandboxFaults) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        let oldSeed = faults.faultSeed
        change(&faults)
        if reseed || faults.faultSeed != oldSeed {
            afterCommitDraws = Self.afterCommitStreams(faults.faultSeed)
            requestDraws = SplitMix64(seed: faults.faultSeed ^ 0x5EED_F4A1_7000_0001)
        }
    }

    /// Called once per admitted API request, before it is handled.
    func drawRequestFault() -> RequestFault {
        lock.lock()
        defer { lock.unlock() }
        guard faults.serverErrorShare > 0 || faults.dropShare > 0 else { return .none }
        let draw = requestDraws.nextUnit()
        if draw < faults.serverErrorShare {
            stats.injected500 += 1
            return .serverError
        }
        if draw < faults.serverErrorShare + faults.dropShare {
            stats.droppedBeforeHandling += 1
            return .drop
        }
        return .none
    }

    private static func afterCommitStreams(_ seed: UInt64) -> [SplitMix64] {
        AfterCommitFault.allCases.map { SplitMix64(seed: $0.streamSeed(seed)) }
    }

    /// Called once per committed write: the fault it meets instead of its answer, if any (the
    /// first drawn in `AfterCommitFault.allCases` order; every stream advances once).
    func drawAfterCommitFault() -> AfterCommitFault? {
        lock.lock()
        defer { lock.unlock() }
        var chosen: AfterCommitFault?
        for (index, fault) in AfterCommitFault.allCases.enumerated() {
            let hit = afterCommitDraws[index].nextUnit() < faults[keyPath: fault.share]
            if hit && chosen == nil { chosen = fault }
        }
        if let chosen { stats[keyPath: chosen.count] += 1 }
        return chosen
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
        arrivalsWindow = TimestampWindow()
        firstArrival = nil
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
