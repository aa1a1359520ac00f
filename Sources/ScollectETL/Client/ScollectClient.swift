import Foundation
import Logging

public struct Credentials: Sendable {
    public let apikey: String
    public let pin: String
    public init(apikey: String, pin: String) {
        self.apikey = apikey
        self.pin = pin
    }
}

/// One documented API call, as a writer or reader plans it.
public struct APICall: Sendable {
    public var method: String
    /// The endpoint's documented name (`updatedbase`, `getaccount`), used in reports.
    public var endpoint: String
    /// Path appended to the base URL, e.g. `/getaccount/R1001`.
    public var path: String
    public var body: JSONValue?
    public var filenumber: String?
    /// Safe to send twice (reads, `updatedbase`). Inserts are not: once such a request may have
    /// reached the server it is never re-sent.
    public var idempotent: Bool
    /// For answers that grow with the data (a portfolio's accounts): the body is written to this
    /// file, and a successful list answer is not parsed in memory (`json` is nil; the caller
    /// scans the file). Error answers are small and are read and classified as usual.
    public var spoolAnswerTo: String?
    /// The service the call goes to; `path` is relative to that service's base URL.
    public var service: APIService
    /// The fields of the answer's records the caller reads (a getaccount's record has ~300):
    /// the others are checked but not built. nil: all.
    public var answerFields: AnswerFields?

    public init(method: String, endpoint: String, path: String, body: JSONValue? = nil, filenumber: String?, idempotent: Bool,
                service: APIService = .scollect) {
        self.service = service
        self.method = method
        self.endpoint = endpoint
        self.path = path
        self.body = body
        self.filenumber = filenumber
        self.idempotent = idempotent
    }
}

public struct APIResult: Sendable {
    public let classification: ResponseClass
    public let json: JSONValue?
    public let httpStatus: Int?
    public let attempts: Int
    public var succeeded: Bool { classification == .success }
}

/// One HTTP request as the audit report records it.
public struct AuditEntry: Sendable {
    public let time: Date
    public let method: String
    public let endpoint: String
    public let filenumber: String?
    public let body: JSONValue?
    public let httpStatus: Int?
    public let outcome: String
    public let message: String?
    public let latencyMs: Double
    public let attempt: Int
}

public protocol AuditSink: AnyObject, Sendable {
    func record(_ entry: AuditEntry)
}

public enum ClientError: Error, CustomStringConvertible {
    case credentialsRefused(String)
    case apiUnavailable(String)

    public var description: String {
        switch self {
        case let .credentialsRefused(message): return "credentials refused: \(message)"
        case let .apiUnavailable(message): return "API unavailable: \(message)"
        }
    }

    /// The exit code of a run this error stops.
    public var exitCode: ExitCode {
        switch self {
        case .credentialsRefused: return .credentialsRefused
        case .apiUnavailable: return .apiUnavailable
        }
    }
}

/// How a failed call is tried again (only where that is safe: see `ScollectClient.send`).
/// Set per pipeline under `target.retry`.
public struct RetryPolicy: Sendable {
    public var maxAttempts = 5
    public var baseDelay = 0.25
    public var maxDelay = 8.0
    /// How long one call keeps waiting out 429s (back-pressure, not failures) before it counts
    /// them as failed attempts.
    public var rateLimitedBudget = 600.0
    /// Seconds without an answer after which the API counts as down (`APIHealth`'s window): a
    /// login keeps being tried that long, so a degraded API's 5xx never stops a run by chance.
    public var downAfter = 60.0
    public init() {}
    public init(maxAttempts: Int, baseDelay: Double, maxDelay: Double, downAfter: Double = 60) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.downAfter = downAfter
    }

    /// Exponential backoff with full jitter.
    func delay(beforeAttempt attempt: Int) -> Double {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(attempt - 2)))
        return Double.random(in: 0...ceiling)
    }
}

/// The Scollect API client: logs in with apikey + pin, attaches the JWT to every call, logs in
/// again before the token expires or when the server says it has, paces every request through
/// the shared rate limiter, classifies every response and reports every request to the audit.
/// Thread-safe; each thread passes its own transport so connections are reused per worker.
public final class ScollectClient: @unchecked Sendable {
    public let baseURL: String
    private let credentials: Credentials
    private let limiter: RateLimiter
    /// The send path every call takes (audit, counters, `--verbose`, retries), shared with the
    /// Factors Network client.
    public let sender: CallSender
    public var retryPolicy: RetryPolicy {
        get { sender.retryPolicy }
        set { sender.retryPolicy = newValue }
    }
    /// Where calls for the Factors Network go (`APICall.service`): every caller keeps sending
    /// through this one client, and a row's calls to both services stay in one ordered plan.
    /// Set once, before any call.
    public var factorsNetwork: FactorsNetworkClient?
    /// Requests, 429s and retries so far (both services), for progress displays.
    public var counters: RequestCounters { sender.counters }
    /// Told of every request as it is answered (a verbose display); called on the calling
    /// worker's thread. The entry's body is not masked.
    public var onRequest: (@Sendable (AuditEntry) -> Void)? {
        get { sender.onRequest }
        set { sender.onRequest = newValue }
    }
    /// Warnings for the operator's log (a server's Retry-After out of range). Set once, before any call.
    public var warn: Logger? {
        get { sender.warn }
        set { sender.warn = newValue }
    }

    private let tokenLock = NSLock()
    private var token: String?
    /// Monotonic time after which the token is renewed before use.
    private var tokenRenewAt: Double = .infinity
    private var tokenGeneration = 0
    private var authorization: (generation: Int, header: String)?
    private let loginLock = NSLock()

    public init(baseURL: String, credentials: Credentials, limiter: RateLimiter, audit: AuditSink?) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        self.limiter = limiter
        self.sender = CallSender(audit: audit)
    }

    // MARK: login

    /// Logs in if there is no valid token. Throws `credentialsRefused` or `apiUnavailable`.
    public func ensureLoggedIn(using http: any HTTPTransport) throws {
        let (current, generation) = currentToken()
        if current != nil { return }
        try login(using: http, replacingGeneration: generation)
    }

    private func currentToken() -> (String?, Int) {
        tokenLock.lock()
        defer { tokenLock.unlock() }
        if token != nil, monotonicSeconds() > tokenRenewAt { token = nil }
        return (token, tokenGeneration)
    }

    /// `Bearer <token>`, built once per token: the same string every call, which the transport
    /// compares with the headers it already holds.
    private func currentAuthorization() -> String? {
        tokenLock.lock()
        defer { tokenLock.unlock() }
        if token != nil, monotonicSeconds() > tokenRenewAt { token = nil }
        guard let token else { return nil }
        if authorization?.generation != tokenGeneration { authorization = (tokenGeneration, "Bearer \(token)") }
        return authorization?.header
    }

    private func login(using http: any HTTPTransport, replacingGeneration generation: Int) throws {
        loginLock.lock()
        defer { loginLock.unlock() }
        tokenLock.lock()
        let alreadyRenewed = tokenGeneration != generation && token != nil
        tokenLock.unlock()
        if alreadyRenewed { return } // another thread logged in while we waited

        let body = JSONValue.strings([("apikey", credentials.apikey), ("pin", credentials.pin)])
        let call = APICall(method: "POST", endpoint: "login", path: "/login", body: body, filenumber: nil, idempotent: true)
        // No run goes on without a token, so a login is not given up after one call's attempts
        // (at 30 % of 5xx, 5 attempts all fail once in 400 logins, and short tokens mean many
        // logins a night) but after `downAfter` seconds of failing, the window after which the
        // run would count the API as down anyway.
        let result = send(call, using: http, authenticated: false, persistingFor: retryPolicy.downAfter)
        switch result.classification {
        case .success:
            guard let accessToken = result.json?["result"]?["access_token"]?.stringValue, !accessToken.isEmpty else {
                throw ClientError.credentialsRefused("login answered without an access_token")
            }
            let lifetime = ScollectClient.secondsUntilExpiry(ofJWT: accessToken)
            tokenLock.lock()
            token = accessToken
            // Renew a little early (30 s, or a tenth of a short lifetime) rather than have a
            // call bounce off an expired token; a 401 still triggers a re-login.
            tokenRenewAt = lifetime.map { monotonicSeconds() + $0 - min(30, max(0, $0) / 10) } ?? .infinity
            tokenGeneration += 1
            tokenLock.unlock()
        case .errorInBody, .authRejected, .emptyResult, .timeoutState:
            throw ClientError.credentialsRefused(result.classification.message ?? "login refused")
        case let .httpError(status, message) where status == 403 || status == 400 || status == 422:
            throw ClientError.credentialsRefused("HTTP \(status): \(message)")
        default:
            throw ClientError.apiUnavailable("login failed: \(result.classification.message ?? result.classification.label)")
        }
    }

    /// Seconds until the JWT's `exp`, read from its payload (no signature check: that is the
    /// server's business; we only want to renew in time).
    static func secondsUntilExpiry(ofJWT jwt: String) -> Double? {
        let parts = jwt.split(separator: ".")
        guard parts.count >= 2 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let payload = JSONValue.parse(data),
              case let .number(exp)? = payload["exp"] else { return nil }
        return exp - Date().timeIntervalSince1970
    }

    // MARK: calls

    /// `{"result": [` at the start of a spooled answer: the documented success list (an error
    /// inside a 200 is an object or `[{"error": …}, code]`, told apart by its first element).
    static func startsAsSuccessList(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path), let head = try? handle.read(upToCount: 256) else { return false }
        try? handle.close()
        let text = String(decoding: head.filter { !($0 == 32 || $0 == 9 || $0 == 10 || $0 == 13) }, as: UTF8.self)
        guard let list = text.range(of: "\"result\":[") else { return false }
        let rest = text[list.upperBound...]
        return !text[..<list.lowerBound].contains("\"error\"") && (rest.hasPrefix("]") || (rest.hasPrefix("{") && !rest.hasPrefix("{\"error\"")))
    }

    /// Sends a call, with retries where they are safe. Never throws for a per-call failure: the
    /// result's classification says what happened. Throws only when the credentials are refused
    /// on re-login.
    public func perform(_ call: APICall, using http: any HTTPTransport) throws -> APIResult {
        if call.service == .factorsNetwork {
            guard let factorsNetwork else { throw ClientError.apiUnavailable("a Factors Network call but no Factors Network target (FACTORS_NETWORK_URL)") }
            return try factorsNetwork.perform(call, using: http, through: sender)
        }
        try ensureLoggedIn(using: http)
        var logins = 0
        while true {
            let (_, generation) = currentToken()
            let result = send(call, using: http, authenticated: true)
            if case .authRejected = result.classification, logins < retryPolicy.maxAttempts {
                // 401 means the server did not act on it: log in again and repeat. A short token
                // may run out again while the call waits out 5xx backoffs, so more than once, but
                // a 401 to each fresh token in turn is a refusal.
                logins += 1
                try login(using: http, replacingGeneration: generation)
                continue
            }
            return result
        }
    }

    /// One call through the shared send path, with this client's JWT and pace.
    private func send(_ call: APICall, using http: any HTTPTransport, authenticated: Bool, persistingFor: Double = 0) -> APIResult {
        sender.send(call, using: http, encoding: encoding(authenticated: authenticated, answerFields: call.answerFields), limiter: limiter,
                    persistingFor: persistingFor)
    }

    /// JSON bodies, the bearer token, and answers read as Scollect envelopes. A spooled answer
    /// that starts as the documented success list is left in its file, unparsed.
    private func encoding(authenticated: Bool, answerFields: AnswerFields?) -> CallSender.Encoding {
        CallSender.Encoding(request: { [self] call in
            var headers = [("Content-Type", "application/json"), ("Accept", "application/json")]
            if authenticated, let authorization = currentAuthorization() { headers.append(("Authorization", authorization)) }
            return HTTPRequest(method: call.method, url: baseURL + call.path, headers: headers, body: call.body.map { Array($0.serialized.utf8) },
                               mayRepeat: call.idempotent)
        }, classify: { response, spool in
            guard let spool else { return ResponseClassifier.classify(response, fields: answerFields) }
            if response.status == 200, ScollectClient.startsAsSuccessList(spool) { return (.success, nil) }
            return ResponseClassifier.classify(HTTPResponse(status: response.status, headers: response.headers,
                                                            body: (try? Data(contentsOf: URL(fileURLWithPath: spool))) ?? Data()))
        })
    }
}
