import Foundation

/// Paces calls so that no sliding 1-second window holds more than `ratePerSecond` of them:
/// a GCRA (token bucket of burst 1). Each caller reserves the next free slot under the lock
/// and sleeps outside it, so the slots are strictly spaced whatever the number of threads.
public final class RateLimiter: @unchecked Sendable {
    public let ratePerSecond: Double
    /// Spacing between calls. 1% above 1/R so that scheduling jitter on the server's side never
    /// squeezes R + 1 arrivals into one second, at a cost of 1% of throughput.
    private let interval: Double
    private var nextSlot: Double = 0
    private let lock = NSLock()

    public init(ratePerSecond: Double) {
        self.ratePerSecond = ratePerSecond
        self.interval = ratePerSecond > 0 ? 1.01 / ratePerSecond : 0
    }

    /// Blocks until the caller may send. Returns the seconds it waited.
    @discardableResult
    public func acquire() -> Double {
        guard interval > 0 else { return 0 }
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
    public func pause(for seconds: Double) {
        let resume = monotonicSeconds() + seconds
        lock.lock()
        nextSlot = max(nextSlot, resume)
        lock.unlock()
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func sleepPrecisely(_ seconds: Double) {
    guard seconds > 0 else { return }
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
