@testable import ScollectETL
import Testing

/// The pace adapts: a 429 halves it, answers bring it back, never above the configured rate.
struct RateLimiterTests {
    @Test func additiveIncreaseMultiplicativeDecrease() {
        let limiter = RateLimiter(ratePerSecond: 100)
        #expect(limiter.currentRate == 100)
        limiter.slowDown()
        #expect(limiter.currentRate == 50)
        limiter.slowDown()
        #expect(limiter.currentRate == 50, "429s of the calls already in flight count once")
        sleepPrecisely(0.3)
        limiter.speedUp()
        let grown = limiter.currentRate
        #expect(grown > 50 + 1 && grown < 50 + 5 * 0.6, "grows by 1/20 of the rate per second: \(grown)")
        for _ in 0..<6 {
            sleepPrecisely(1.01)
            limiter.slowDown()
        }
        #expect(limiter.currentRate == 100.0 / 32, "never below 1/32 of the configured rate")
    }

    @Test func slowerPaceSpacesCallsFurther() {
        let limiter = RateLimiter(ratePerSecond: 200)
        limiter.acquire()
        let fast = limiter.acquire()
        limiter.slowDown()  // 100/s: about 10 ms apart
        limiter.acquire()
        let slow = limiter.acquire()
        #expect(slow > fast)
        #expect(slow > 0.008)
    }

    @Test func aCallerThatComesLateTakesTheSlotItMissedInsteadOfLosingIt() {
        // 20/s: slots 51 ms apart. The second call comes 60 ms after the first, past its slot
        // (every thread was busy): it leaves at once, and the next slot keeps the first call's
        // schedule (102 ms after it) instead of a fresh 51 ms from the late call, which would
        // lose a slot. A try whose sleep overshot past the 20 ms catch-up starts afresh by
        // design, so it is tried again.
        for _ in 0..<5 {
            let limiter = RateLimiter(ratePerSecond: 20)
            let first = monotonicSeconds()
            limiter.acquire()
            sleepPrecisely(0.06)
            #expect(limiter.acquire() < 0.01, "its slot passed: no wait")
            let wait = limiter.currentWait
            let late = monotonicSeconds() - first
            guard late < 0.051 + RateLimiter.catchUp - 0.002 else { continue }
            #expect(wait < 0.102 - late + 0.003, "the next slot is 102 ms after the first call: \(wait) s to wait after \(late) s")
            return
        }
        Issue.record("the machine never woke the test within 10 ms of its sleep")
    }

    @Test func aFreshPaceStartsFromTheFirstCallWithoutABurst() {
        let limiter = RateLimiter(ratePerSecond: 20)
        limiter.acquire()
        #expect(limiter.currentWait > 0.04, "the second call waits its 51 ms")
    }

    @Test func retryPolicyAndRejectLimitsComeFromThePipeline() throws {
        let text = """
        source: { file: in.csv }
        mapping: { filenumber: A }
        options: { max_rejects: 10, max_reject_ratio: 0.05 }
        writers: [updatedbase]
        target: { url: sandbox, requests_per_second: 10, retry: { max_attempts: 3, base_delay_seconds: 0.5, max_delay_seconds: 4 } }
        reports: { folder: out }
        """
        let config = try PipelineLoader.parse(text, file: "p.yml")
        #expect(config.target.retry.maxAttempts == 3)
        #expect(config.target.retry.baseDelay == 0.5)
        #expect(config.maxRejects == 10)
        #expect(config.maxRejectRatio == 0.05)
        #expect(throws: PipelineError.self) { try PipelineLoader.parse(text.replacingOccurrences(of: "0.05", with: "5"), file: "p.yml") }
    }
}
