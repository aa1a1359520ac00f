import Foundation
@testable import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// A 429's Retry-After is a server's word: one that is not finite, negative or over 300 s is
/// replaced by a single 300 s wait and a warning, instead of trapping or hanging the run.
struct RetryAfterTests {
    @Test func ordinaryValuesAreObeyedAndHTTPDatesLeftToTheBackoff() {
        #expect(RetryAfter.decide("2") == .init(seconds: 2, warning: nil))
        #expect(RetryAfter.decide(" 0.5 ") == .init(seconds: 0.5, warning: nil))
        #expect(RetryAfter.decide("300") == .init(seconds: 300, warning: nil))
        #expect(RetryAfter.decide("Wed, 21 Oct 2026 07:28:00 GMT") == nil)
        #expect(RetryAfter.decide(nil) == nil)
    }

    @Test(arguments: ["inf", "Infinity", "-inf", "nan", "1e999", "-1", "300.5", "86400", "99999999999999999999"])
    func hostileValuesBecomeOneWaitOfThreeHundredSecondsWithAWarning(header: String) throws {
        let decision = try #require(RetryAfter.decide(header))
        #expect(decision.seconds == 300)
        #expect(decision.warning?.contains("Retry-After \"\(header)\"") == true)
        #expect(decision.warning?.contains("waiting 300 s") == true)
    }

    @Test func theClassifiedAnswerCarriesTheBoundedWaitAndTheWarningReachesTheLog() throws {
        let response = HTTPResponse(status: 429, headers: ["retry-after": "inf"], body: Data(#"{"msg": "Too many requests"}"#.utf8))
        let (classification, _) = ResponseClassifier.classify(response)
        guard case let .rateLimited(retryAfter, warning) = classification else {
            Issue.record("not rate limited: \(classification)")
            return
        }
        #expect(retryAfter == 300)
        #expect(warning != nil && classification.message?.contains("inf") == true)

        // Pacing: the limiter is paused (finite, bounded), the call is retried, the warning logged once.
        let limiter = RateLimiter(ratePerSecond: 1000)
        let logged = LogCollector()
        let call = APICall(method: "GET", endpoint: "getaccount", path: "/getaccount/R1", filenumber: "R1", idempotent: true)
        // Four workers get the same answer: one wait, one warning.
        for _ in 0..<4 {
            #expect(CallSender.paceAndDecideRetry(classification, status: 429, call: call, limiter: limiter, warn: logged.logger()))
        }
        #expect(logged.lines.count == 1 && logged.lines[0].hasPrefix("warning: the server") , "\(logged.lines)")
        #expect(limiter.currentWait > 299 && limiter.currentWait <= 300)
    }

    @Test func aPauseThatIsNotFiniteNeitherTrapsNorWaitsForever() {
        let limiter = RateLimiter(ratePerSecond: 10)
        limiter.pause(for: .nan)
        #expect(limiter.currentWait < 1)
        limiter.pause(for: .infinity)
        #expect(limiter.currentWait > 299 && limiter.currentWait <= 300)
        limiter.pause(for: 1e12)
        #expect(limiter.currentWait <= 300, "a second pause does not add up")
        sleepPrecisely(.infinity) // returns at once instead of trapping on Int(inf)
    }

    /// The sandbox answers 429 with `Retry-After: inf`; read over real HTTP, the answer is
    /// classified as one bounded wait with a warning.
    @Test func aSandboxAnswerWithRetryAfterInfIsClassifiedAsOneBoundedWait() throws {
        let folder = try makeTemporaryDirectory("retry-after")
        var configuration = SandboxConfiguration(databasePath: folder + "/sandbox.sqlite", port: 0)
        configuration.rateLimit = 1
        configuration.retryAfterHeader = "inf"
        let server = try SandboxServer.start(configuration)
        defer { server.stop() }
        let http = CurlHTTPClient(timeoutSeconds: 5)
        let request = HTTPRequest(method: "POST", url: server.baseURL + "/login", headers: [("Content-Type", "application/json")],
                                  body: Array(#"{"apikey": "sandbox-apikey", "pin": "C2C"}"#.utf8))
        var limited: HTTPResponse?
        for _ in 0..<5 where limited == nil {
            let response = try http.perform(request)
            if response.status == 429 { limited = response }
        }
        let response = try #require(limited)
        #expect(response.headers["retry-after"] == "inf")
        #expect(ResponseClassifier.classify(response).0 == .rateLimited(retryAfter: 300, warning: RetryAfter.decide("inf")?.warning))
    }
}
