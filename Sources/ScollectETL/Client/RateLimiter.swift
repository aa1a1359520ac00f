import Foundation

/// Paces calls so that no sliding 1-second window holds more than `ratePerSecond` of them:
/// a GCRA (token bucket of burst 1). Each caller reserves the next free slot under the lock
/// and sleeps outside it, so the slots are strictly spaced whatever the number of threads.
///
/// The pace adapts (AIMD): a 429 from the server halves the current rate (down to 1/32 of the
/// configured one; 429s arriving within the same second count once, since the calls in flight
/// were all sent at the old pace); while answers come back, the rate grows again by 1/20 of the
/// configured rate per second, up to it. A server whose real limit is below the pipeline's is
/// thus probed every few seconds, not hammered.
public final class RateLimiter: @unchecked Sendable {
    public let ratePerSecond: Double
    /// The pace now, at most `ratePerSecond`.
    public var currentRate: Double { lock.lock(); defer { lock.unlock() }; return rate }
    private var rate: Double
    /// Spacing between calls. `margin` above 1/R so that scheduling jitter between a slot and
    /// the request's arrival (up to ~20 ms on a busy machine) never squeezes R + 1 arrivals
    /// into one second at the server, at a cost of 2% of throughput
    /// (`Benchmarks/rate-hold.sh`: 1% let R = 50 see 51 in a second on a loaded machine).
    private var interval: Double
    static let margin = 1.02
    private var nextSlot: Double = 0
    /// The end of the latest pause asked for by the server.
    private var pausedUntil: Double = 0
    /// When the rate last changed: decreases are one a second at most, increases grow with time.
    private var lastDecrease = -Double.infinity
    private var lastIncrease = monotonicSeconds()
    private let lock = NSLock()

    public init(ratePerSecond: Double) {
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
    @discardableResult
    public func acquire() -> Double {
        guard ratePerSecond > 0 else { return 0 }
        let now = monotonicSeconds()
        lock.lock()
        let slot = max(now, nextSlot)
        nextSlot = slot + interval
        lock.unlock()
        let wait = slot - now
        if wait > 0 { sleepPrecisely(wait) }
        return wait
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
