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

    static func client(_ retry: RetryPolicy) -> ScollectClient {
        let client = ScollectClient(baseURL: "http://127.0.0.1:9", credentials: Credentials(apikey: "k", pin: "1"),
                                    limiter: RateLimiter(ratePerSecond: 10_000), audit: nil)
        client.retryPolicy = retry
        return client
    }

    static let oneAccount = ScriptedTransport.Answer.json(#"{"state": "SUCCESS", "result": [{"filenumber": "R1"}]}"#)

    /// At 30 % of 5xx, a login's attempts all fail now and then; short tokens make many logins a
    /// night. A login is tried again until the API has failed it for the whole window.
    @Test func aLoginIsNotGivenUpBeforeTheAPIHasFailedItForTheWholeWindow() throws {
        let transport = ScriptedTransport()
        let failing = ScriptedTransport.Answer.json(#"{"msg": "Internal server error"}"#, status: 500)
        transport.queue("POST", "/login", failing, failing, .closedBeforeAnswer, failing, .json(AccountProcessorTests.login))
        transport.queue("GET", "/getaccount/R1", Self.oneAccount)
        let client = Self.client(RetryPolicy(maxAttempts: 2, baseDelay: 0, maxDelay: 0, downAfter: 30))
        let result = try client.perform(APIPath.accountRead("getaccount", "R1"), using: transport)
        #expect(result.succeeded)
        #expect(transport.requestLines.filter { $0 == "POST /login" }.count == 5)
        #expect(transport.requestLines.last == "GET /getaccount/R1")
    }

    @Test func aLoginTheAPIFailsForTheWholeWindowStopsTheRunAsUnavailable() throws {
        let transport = ScriptedTransport(fallback: { _ in .json(#"{"msg": "Internal server error"}"#, status: 503) })
        let client = Self.client(RetryPolicy(maxAttempts: 2, baseDelay: 0, maxDelay: 0, downAfter: 1))
        let started = monotonicSeconds()
        #expect {
            _ = try client.perform(APIPath.accountRead("getaccount", "R1"), using: transport)
        } throws: { error in
            guard case let ClientError.apiUnavailable(message) = error else { return false }
            return message.contains("login failed")
        }
        #expect(monotonicSeconds() - started >= 1, "tried for the whole window")
        #expect(!transport.requestLines.contains("GET /getaccount/R1"), "no call without a token")
        // A refusal is final at once: no window for refused credentials.
        let refused = ScriptedTransport()
        refused.queue("POST", "/login", .json(#"{"state": "SUCCESS", "result": {"error": "Invalid API Credentials."}}"#))
        #expect(throws: ClientError.self) { _ = try Self.client(RetryPolicy(maxAttempts: 2, baseDelay: 0, maxDelay: 0, downAfter: 30)).perform(APIPath.accountRead("getaccount", "R1"), using: refused) }
        #expect(refused.requestLines == ["POST /login"])
    }

    /// A 3-second token may run out while a call waits out 5xx backoffs, more than once: each
    /// 401 to a token that has since run out is a new login and the same call again.
    @Test func aTokenThatRunsOutTwiceDuringOneCallIsRenewedTwice() throws {
        let transport = ScriptedTransport()
        let login = ScriptedTransport.Answer.json(AccountProcessorTests.login)
        transport.queue("POST", "/login", login, login, login)
        let expired = ScriptedTransport.Answer.json(#"{"msg": "Token has expired"}"#, status: 401)
        transport.queue("GET", "/getaccount/R1", expired, expired, Self.oneAccount)
        let client = Self.client(RetryPolicy(maxAttempts: 3, baseDelay: 0, maxDelay: 0))
        let result = try client.perform(APIPath.accountRead("getaccount", "R1"), using: transport)
        #expect(result.succeeded, "\(result.classification)")
        #expect(transport.requestLines == ["POST /login", "GET /getaccount/R1", "POST /login", "GET /getaccount/R1", "POST /login", "GET /getaccount/R1"])
    }

    /// Rows a stopping run did not get to are the next run's: retryable, never a settled reject.
    @Test func rowsAStoppingRunDidNotGetToAreLeftForTheNextRun() throws {
        let transport = ScriptedTransport(fallback: { _ in .json(#"{"msg": "Internal server error"}"#, status: 503) })
        let config = try PipelineLoader.parse(AccountProcessorTests.pipeline, file: "/tmp/unit/unit.yml")
        let client = Self.client(RetryPolicy(maxAttempts: 2, baseDelay: 0, maxDelay: 0, downAfter: 1))
        let state = RunState()
        let processor = AccountProcessor(config: config, client: client, state: state, effects: nil, listedAccounts: [:], options: RunOptions())
        let rows = try AccountProcessorTests.rows(config: config, header: ["Account", "City", "Phone"], values: [["R1001", "Mobile", ""], ["R1002", "Mobile", ""]])
        // The login fails for the whole window: the run stops, and both accounts are left for the next run.
        for row in rows {
            guard case let .rejected(issue, _) = processor.process([row], http: transport)[0] else { Issue.record("not rejected"); continue }
            #expect(issue.reason == .notAttempted && issue.reason.isRetryable, "\(issue.reason) \(issue.message)")
        }
        #expect(state.fatal?.0 == .apiUnavailable)
        #expect(transport.requestLines.allSatisfy { $0 == "POST /login" })
    }
}
