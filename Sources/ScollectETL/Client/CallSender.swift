import Foundation
import Logging

/// The one send path of both clients (Scollect, Factors Network). Every request goes through
/// it: paced by the service's limiter, timed, its answer classified by the service's encoding,
/// recorded in the audit, counted (requests, 429s, retries) and shown (`--verbose`). A failed
/// call is tried again only where `paceAndDecideRetry` says that is safe.
public final class CallSender: @unchecked Sendable {
    /// How one service turns a call into a request, and an answer into what it means.
    public struct Encoding: Sendable {
        public let request: @Sendable (APICall) -> HTTPRequest
        /// The answer; for a spooled call (`APICall.spoolAnswerTo`) the body stays in the file
        /// and the path is passed along.
        public let classify: @Sendable (HTTPResponse, _ spooledTo: String?) -> (ResponseClass, JSONValue?)
        public init(request: @escaping @Sendable (APICall) -> HTTPRequest,
                    classify: @escaping @Sendable (HTTPResponse, String?) -> (ResponseClass, JSONValue?)) {
            self.request = request
            self.classify = classify
        }
    }

    let audit: AuditSink?
    /// Requests, 429s and retries so far, for progress displays.
    public let counters = RequestCounters()
    public var retryPolicy = RetryPolicy()
    /// Told of every request as it is answered (a verbose display); called on the calling
    /// worker's thread. The entry's body is not masked.
    public var onRequest: (@Sendable (AuditEntry) -> Void)?
    /// Warnings for the operator's log (a server's Retry-After out of range).
    public var warn: Logger?

    public init(audit: AuditSink?, retryPolicy: RetryPolicy = RetryPolicy()) {
        self.audit = audit
        self.retryPolicy = retryPolicy
    }

    /// Sends a call, with retries where they are safe. Never throws: the result's
    /// classification says what happened.
    ///
    /// A 429 is back-pressure, not a failure: the server did nothing. It is waited out (its
    /// `Retry-After`, a slower pace) and tried again without counting against the policy's
    /// attempts, for as long as `retryPolicy.rateLimitedBudget` allows.
    ///
    /// With `persistingFor`, a call safe to repeat is not given up after the policy's attempts
    /// but only once it has failed for that many seconds (or the run is interrupted): a call
    /// nothing can go on without (a login) against an API that fails a share of its calls.
    public func send(_ call: APICall, using transport: any HTTPTransport, encoding: Encoding, limiter: RateLimiter,
                     persistingFor: Double = 0) -> APIResult {
        var attempt = 0
        var failures = 0
        let started = monotonicSeconds()
        while true {
            attempt += 1
            let (classification, json, status) = sendOnce(call, using: transport, encoding: encoding, limiter: limiter, attempt: attempt)
            var backPressure = false
            if case .rateLimited = classification {
                counters.rateLimitedAnswer()
                backPressure = monotonicSeconds() - started < retryPolicy.rateLimitedBudget
            }
            if !backPressure { failures += 1 }
            let retryable = CallSender.paceAndDecideRetry(classification, status: status, call: call, limiter: limiter, warn: warn)
            if !retryable || (failures >= retryPolicy.maxAttempts && !persists(since: started, for: persistingFor)) {
                return APIResult(classification: classification, json: json, httpStatus: status, attempts: attempt)
            }
            counters.retry()
            sleepPrecisely(retryPolicy.delay(beforeAttempt: min(attempt, 16) + 1))
        }
    }

    /// Whether a call past its attempts is still tried (`persistingFor`).
    private func persists(since started: Double, for seconds: Double) -> Bool {
        seconds > 0 && monotonicSeconds() - started < seconds && !Interruption.requested
    }

    /// How the pacing reacts to an answer, and whether the call may go again: a 429 slows the
    /// limiter (and waits out Retry-After) and is retried; a lost answer or a 5xx only for a call
    /// safe to repeat; any other answer lets the limiter speed back up.
    static func paceAndDecideRetry(_ classification: ResponseClass, status: Int?, call: APICall, limiter: RateLimiter,
                                   warn: Logger? = nil) -> Bool {
        let retryable: Bool
        switch classification {
        case let .rateLimited(retryAfter, warning):
            retryable = true
            limiter.slowDown()
            let newPause = retryAfter.map { limiter.pause(for: $0) } ?? false
            if let warning, newPause { warn?.warning("\(warning.hasPrefix("warning: ") ? String(warning.dropFirst(9)) : warning)") } // the other calls in flight got the same answer
        case let .transportError(_, maySent):
            retryable = call.idempotent || !maySent
        case let .httpError(status, _) where status >= 500:
            retryable = call.idempotent
        default:
            retryable = false
        }
        if case .rateLimited = classification {} else if status != nil { limiter.speedUp() }
        return retryable
    }

    private func sendOnce(_ call: APICall, using transport: any HTTPTransport, encoding: Encoding, limiter: RateLimiter,
                          attempt: Int) -> (ResponseClass, JSONValue?, Int?) {
        limiter.acquire()
        // Built once the slot is taken: a wait for it may outlast a short token.
        let request = encoding.request(call)
        let started = Date()
        let startedClock = monotonicSeconds()
        let classification: ResponseClass
        var json: JSONValue?
        var status: Int?
        do {
            let response = try call.spoolAnswerTo.map { try transport.perform(request, spoolingBodyTo: $0) } ?? transport.perform(request)
            status = response.status
            (classification, json) = encoding.classify(response, call.spoolAnswerTo)
        } catch let error as TransportError {
            classification = .transportError(message: error.message, requestMayHaveBeenSent: error.requestMayHaveBeenSent)
        } catch {
            classification = .transportError(message: "\(error)", requestMayHaveBeenSent: true)
        }
        let entry = AuditEntry(time: started, method: call.method, endpoint: call.endpoint, filenumber: call.filenumber,
                               body: call.body, httpStatus: status, outcome: classification.label,
                               message: classification.message, latencyMs: (monotonicSeconds() - startedClock) * 1000, attempt: attempt)
        audit?.record(entry)
        counters.requestSent()
        onRequest?(entry)
        return (classification, json, status)
    }
}
