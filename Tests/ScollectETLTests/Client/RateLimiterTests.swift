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
        #expect(limiter.currentRate == 25)
        for _ in 0..<10 { limiter.slowDown() }
        #expect(limiter.currentRate == 100.0 / 32, "never below 1/32 of the configured rate")
        limiter.speedUp()
        #expect(abs(limiter.currentRate - (100.0 / 32 + 2)) < 1e-9, "each answer adds 1/50 of the configured rate")
        for _ in 0..<100 { limiter.speedUp() }
        #expect(limiter.currentRate == 100, "and stops at the configured rate")
    }

    @Test func slowerPaceSpacesCallsFurther() {
        let limiter = RateLimiter(ratePerSecond: 200)
        limiter.acquire()
        let fast = limiter.acquire()
        limiter.slowDown()
        limiter.slowDown()  // 50/s: about 20 ms apart
        limiter.acquire()
        let slow = limiter.acquire()
        #expect(slow > fast)
        #expect(slow > 0.015)
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
