import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

/// Degraded is not down: one call failing its retries while the API answers is a retryable
/// reject; down is judged over a window; a 429 is waited out, never counted as down.
@Suite struct APIHealthTests {
    final class Clock: @unchecked Sendable {
        var now = 1000.0
    }

    @Test func oneFailedCallAmongAnsweredOnesIsNotDown() {
        let clock = Clock()
        let health = APIHealth(window: 60, minimumCalls: 20, clock: { clock.now })
        for _ in 0..<30 { health.answered(); health.callEnded(failed: false); clock.now += 1 }
        health.callEnded(failed: true)
        #expect(health.downBecause == nil)
    }

    @Test func noAnswerForTheWholeWindowIsDown() {
        let clock = Clock()
        let health = APIHealth(window: 60, minimumCalls: 20, clock: { clock.now })
        health.answered()
        clock.now += 30
        health.callEnded(failed: true)
        #expect(health.downBecause == nil)
        clock.now += 31
        health.callEnded(failed: true)
        #expect(health.downBecause?.contains("no answer from the API") == true)
    }

    @Test func mostCallsOfTheWindowFailingIsDownAndOldFailuresAgeOut() {
        let clock = Clock()
        let health = APIHealth(window: 60, minimumCalls: 20, clock: { clock.now })
        for i in 0..<30 {
            health.answered()
            health.callEnded(failed: i % 3 != 0)
            clock.now += 0.5
        }
        #expect(health.downBecause?.contains("of the last 30 calls") == true)
        clock.now += 61
        health.answered()
        for _ in 0..<20 { health.callEnded(failed: false) }
        #expect(health.downBecause == nil)
    }

    @Test func a429IsWaitedOutBeyondTheAttemptsAndIsNotAFailure() throws {
        let transport = ScriptedTransport()
        let busy = ScriptedTransport.Answer.respond(status: 429, body: #"{"msg": "slow down"}"#, headers: ["Retry-After": "0"])
        transport.queue("GET", "/getaccount/R1", busy, busy, busy, busy, busy, busy, .json(#"{"state": "SUCCESS", "result": [{"filenumber": "R1"}]}"#))
        let sender = CallSender(audit: nil, retryPolicy: RetryPolicy(maxAttempts: 3, baseDelay: 0, maxDelay: 0))
        let encoding = CallSender.Encoding(request: { HTTPRequest(method: $0.method, url: "http://127.0.0.1:9" + $0.path) },
                                           classify: { response, _ in ResponseClassifier.classify(response) })
        let result = sender.send(APIPath.accountRead("getaccount", "R1"), using: transport, encoding: encoding,
                                 limiter: RateLimiter(ratePerSecond: 10_000))
        #expect(result.succeeded)
        #expect(result.attempts == 7)
        #expect(sender.counters.snapshot.rateLimited == 6)
    }

    @Test func aReadFailingItsRetriesWhileTheAPIAnswersIsARetryableRejectAndTheRunGoesOn() throws {
        let transport = ScriptedTransport()
        let config = try PipelineLoader.parse(AccountProcessorTests.pipeline, file: "/tmp/unit/unit.yml")
        transport.queue("POST", "/login", .json(AccountProcessorTests.login))
        let client = ScollectClient(baseURL: "http://127.0.0.1:9", credentials: Credentials(apikey: "k", pin: "1"),
                                    limiter: RateLimiter(ratePerSecond: 10_000), audit: nil)
        client.retryPolicy = RetryPolicy(maxAttempts: 2, baseDelay: 0, maxDelay: 0)
        let state = RunState()
        state.health.answered()
        let processor = AccountProcessor(config: config, client: client, state: state, effects: nil, listedAccounts: [:], options: RunOptions())
        transport.queue("GET", "/getaccount/R1001", .json("{}", status: 503), .json("{}", status: 503))
        let rows = try AccountProcessorTests.rows(config: config, header: ["Account", "City", "Phone"], values: [["R1001", "Mobile", ""]])
        let outcomes = processor.process(rows, http: transport)
        guard case let .rejected(issue, _) = outcomes[0] else { Issue.record("\(outcomes[0])"); return }
        #expect(issue.reason == .apiErrorRetryable)
        #expect(state.fatal == nil)
    }
}
