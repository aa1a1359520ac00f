import Foundation

/// Paces calls so that no sliding 1-second window holds more than `ratePerSecond` of them:
/// a GCRA (a slot missed by up to 20 ms is still taken). Each caller reserves the next free slot under the lock
/// and sleeps outside it, so the slots are strictly spaced whatever the number of threads.
///
/// The pace adapts (AIMD): a 429 from the server halves the current rate (down to 1/32 of the
/// configured one; 429s arriving within the same second count once, since the calls in flight
/// were all sent at the old pace); while answers come back, the rate grows again by 1/20 of the
/// configured rate per second, up to it. A server whose real limit is below the pipeline's is
/// thus probed every few seconds, not hammered.
///
/// With a `sharedBudget` (the tenant's, shared by its processes) the slots come from the
/// budget's leased blocks instead, the departures rule stays as a second guard, and a 429 also
/// slows the whole tenant (see `SharedRateBudget`).
public final class RateLimiter: @unchecked Sendable {
    public let ratePerSecond: Double
    /// The pace now, at most `ratePerSecond`.
    public var currentRate: Double { lock.lock(); defer { lock.unlock() }; return rate }
    private var rate: Double
    /// Spacing between calls: `margin`/R, the pace 2 % under R.
    private var interval: Double
    /// Slots are spaced 1.02/R: a call that reaches the server up to 20 ms later than the one
    /// before it still finds at most R in its second (`Benchmarks/rate-hold.sh`: 1.01/R let
    /// R = 50 see 51 arrivals in a second on a loaded machine; see Benchmarks/README.md).
    static let margin = 1.02
    /// The sliding window of `acquire`'s second rule: a second plus the same 20 ms. The spacing
    /// keeps under it; it only holds back calls that bunched (threads woken late together).
    static let window = 1.02
    /// How far behind the clock the slots may fall: a caller that comes late (every thread was
    /// busy with its call when its slot passed) takes the slot it missed, up to 20 ms late,
    /// instead of starting the spacing afresh from now and losing it; after a longer lull (the
    /// first call, a batch boundary) it starts afresh, so there is no burst. The window rule
    /// still caps what leaves in any 1.02 s.
    static let catchUp = 0.02
    /// When the latest calls left, oldest first.
    private var departures = Departures()
    private var nextSlot: Double = 0
    /// The end of the latest pause asked for by the server.
    private var pausedUntil: Double = 0
    /// When the rate last changed: decreases are one a second at most, increases grow with time.
    private var lastDecrease = -Double.infinity
    private var lastIncrease = monotonicSeconds()
    private let lock = NSLock()
    /// The tenant's budget shared with its other processes; nil: this limiter alone paces.
    public let sharedBudget: SharedRateBudget?

    public init(ratePerSecond: Double, sharedBudget: SharedRateBudget? = nil) {
        self.sharedBudget = ratePerSecond > 0 ? sharedBudget : nil
        self.ratePerSecond = ratePerSecond
        self.rate = ratePerSecond
        self.interval = ratePerSecond > 0 ? RateLimiter.margin / ratePerSecond : 0
    }

    /// The server said 429: multiplicative decrease.
    public func slowDown() {
        guard ratePerSecond > 0 else { return }
        let now = monotonicSeconds()
        lock.lock()
        if now - lastDecrease >= 1 {
            rate = max(ratePerSecond / 32, rate / 2)
            interval = RateLimiter.margin / rate
            lastDecrease = now
        }
        lastIncrease = now
        lock.unlock()
        sharedBudget?.reportThrottle()
    }

    /// The server answered: additive increase, back up to the configured rate.
    public func speedUp() {
        guard ratePerSecond > 0 else { return }
        let now = monotonicSeconds()
        lock.lock()
        if rate < ratePerSecond {
            rate = min(ratePerSecond, rate + ratePerSecond / 20 * (now - lastIncrease))
            interval = RateLimiter.margin / rate
        }
        lastIncrease = now
        lock.unlock()
    }

    /// Blocks until the caller may send. Returns the seconds it waited.
    ///
    /// Two rules: the slots are spaced `interval` apart (a slot missed by up to `catchUp`
    /// seconds is still taken), and no call leaves while the current
    /// rate's worth of calls already left in the last `window` seconds (their real departure
    /// times, after each caller's sleep). The second rule holds whatever the delays of the
    /// threads: callers that overslept their slots on a busy machine do not leave in a bunch.
    @discardableResult
    public func acquire() -> Double {
        guard ratePerSecond > 0 else { return 0 }
        let start = monotonicSeconds()
        lock.lock()
        let paused = pausedUntil
        // A slot missed by at most `catchUp` is still taken; after a longer lull the pace starts afresh.
        var slot = start - nextSlot <= RateLimiter.catchUp ? nextSlot : start
        if sharedBudget == nil { nextSlot = slot + interval }
        lock.unlock()
        if let budget = sharedBudget {
            if paused > start { sleepPrecisely(paused - start) }
            slot = budget.takeSlot() ?? reserveLocalSlot()
            let now = monotonicSeconds()
            if slot > now { sleepPrecisely(slot - now) }
        } else if slot > start {
            sleepPrecisely(slot - start)
        }
        while true {
            lock.lock()
            let now = monotonicSeconds()
            departures.prune(before: now - RateLimiter.window)
            let limit = max(1, Int(rate.rounded(.down)))
            guard departures.count >= limit, let oldest = departures.oldest(ofLast: limit) else {
                departures.append(now)
                lock.unlock()
                return now - start
            }
            lock.unlock()
            sleepPrecisely(oldest + RateLimiter.window - now)
        }
    }

    /// The next slot of this limiter's own spacing (when the shared budget's store failed).
    private func reserveLocalSlot() -> Double {
        lock.lock()
        defer { lock.unlock() }
        let slot = max(monotonicSeconds(), nextSlot)
        nextSlot = slot + interval
        return slot
    }

    /// Pushes every caller back by at least `seconds` (the server asked us to wait).
    /// How long a caller arriving now would wait.
    var currentWait: Double {
        let now = monotonicSeconds()
        lock.lock()
        defer { lock.unlock() }
        return max(0, nextSlot - now)
    }

    /// A wait that is not finite or longer than `RetryAfter.longestWait` is taken as that.
    /// Returns true when callers were not already held by a pause (the answers of the calls in
    /// flight say the same thing: one wait, one warning).
    @discardableResult
    public func pause(for seconds: Double) -> Bool {
        guard !seconds.isNaN, seconds > 0 else { return false }
        let now = monotonicSeconds()
        let resume = now + min(seconds, RetryAfter.longestWait)
        lock.lock()
        defer { lock.unlock() }
        let fresh = pausedUntil <= now
        pausedUntil = max(pausedUntil, resume)
        nextSlot = max(nextSlot, resume)
        return fresh
    }
}

/// Increasing departure times (a queue over an array).
struct Departures {
    private var times: [Double] = []
    private var head = 0

    var count: Int { times.count - head }

    /// The oldest of the last `n` (n ≤ count).
    func oldest(ofLast n: Int) -> Double? { n <= count && n > 0 ? times[times.count - n] : nil }

    mutating func append(_ t: Double) { times.append(t) }

    mutating func prune(before limit: Double) {
        while head < times.count && times[head] <= limit { head += 1 }
        if head > 4096 && head * 2 > times.count {
            times.removeFirst(head)
            head = 0
        }
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func sleepPrecisely(_ seconds: Double) {
    guard seconds > 0, seconds.isFinite else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
