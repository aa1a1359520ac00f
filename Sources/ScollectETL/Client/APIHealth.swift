import Foundation

/// Whether the API is down, judged over a window of time rather than on one call: a call that
/// failed its retries while the API otherwise answers is that call's problem (its row is
/// rejected as retryable), not the night's. Down means no answer at all for `window` seconds
/// while calls kept failing, or more than half of the calls that ended in the last `window`
/// seconds failing (with at least `minimumCalls` of them). A 429 is back-pressure, an answer:
/// never a sign of an API that is down.
public final class APIHealth: @unchecked Sendable {
    public let window: Double
    public let minimumCalls: Int
    private let clock: @Sendable () -> Double
    private let lock = NSLock()
    private var lastAnswer: Double
    /// Calls that ended in the window: (time, failed after retries).
    private var ended: [(Double, Bool)] = []
    private var failedInWindow = 0

    public init(window: Double = 60, minimumCalls: Int = 20, clock: (@Sendable () -> Double)? = nil) {
        self.window = window
        self.minimumCalls = minimumCalls
        let clock = clock ?? { monotonicSeconds() }
        self.clock = clock
        lastAnswer = clock()
    }

    /// Every HTTP answer the server gave (any status but a 5xx): the API is there.
    public func answered() {
        lock.lock()
        lastAnswer = clock()
        lock.unlock()
    }

    /// A call ended: `failed` when it failed for lack of an answer after its retries.
    public func callEnded(failed: Bool) {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        ended.append((now, failed))
        if failed { failedInWindow += 1 }
        trim(now)
    }

    /// Why the API counts as down now; nil while it answers.
    public var downBecause: String? {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        trim(now)
        if failedInWindow > 0, now - lastAnswer >= window {
            return String(format: "no answer from the API for %.0f s", now - lastAnswer)
        }
        if ended.count >= minimumCalls, failedInWindow * 2 > ended.count {
            return "\(failedInWindow) of the last \(ended.count) calls (\(Int(window)) s) failed after their retries"
        }
        return nil
    }

    private func trim(_ now: Double) {
        var drop = 0
        while drop < ended.count, now - ended[drop].0 > window {
            if ended[drop].1 { failedInWindow -= 1 }
            drop += 1
        }
        if drop > 0 { ended.removeFirst(drop) }
    }
}
