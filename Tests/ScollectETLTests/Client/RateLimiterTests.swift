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
