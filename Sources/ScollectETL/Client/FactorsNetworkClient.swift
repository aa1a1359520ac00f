import Foundation

/// Where Factors Network calls go: from the environment only (`FACTORS_NETWORK_URL`,
/// `FACTORS_NETWORK_USER`, `FACTORS_NETWORK_PASSWORD`), never from a pipeline file.
public struct FactorsNetworkTarget: Sendable {
    /// E.g. `https://www.factorsnetwork.com`; call paths (`/api/debtors/…`) are appended to it.
    public let baseURL: String
    public let user: String
    public let password: String

    public init(baseURL: String, user: String, password: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.user = user
        self.password = password
    }

    public enum EnvironmentProblem: Error, CustomStringConvertible {
        case missingCredentials
        public var description: String {
            "FACTORS_NETWORK_URL is set but FACTORS_NETWORK_USER or FACTORS_NETWORK_PASSWORD is not (credentials come only from the environment)"
        }
    }

    /// nil when `FACTORS_NETWORK_URL` is not set. Plain http to anything but a loopback
    /// address is refused (`URLPolicy`).
    public static func fromEnvironment(_ env: [String: String]) throws -> FactorsNetworkTarget? {
        func value(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
        guard let url = value("FACTORS_NETWORK_URL") else { return nil }
        try URLPolicy.check(url, source: "FACTORS_NETWORK_URL")
        guard let user = value("FACTORS_NETWORK_USER"), let password = value("FACTORS_NETWORK_PASSWORD") else {
            throw EnvironmentProblem.missingCredentials
        }
        return FactorsNetworkTarget(baseURL: url, user: user, password: password)
    }

    /// For the audit header and logs: the URL without any user part.
    public var description: String {
        guard var components = URLComponents(string: baseURL) else { return "Factors Network" }
        components.user = nil
        components.password = nil
        return "Factors Network \(components.string ?? "")"
    }
}

/// The Factors Network client: HTTP Basic authentication, form-encoded bodies (the call's body
/// pairs), its own pace at the pipeline's rate, the run's retry policy and audit report.
/// The Basic header never reaches the audit: it records the endpoint and the body only.
///
/// Its inserts are not idempotent: a call whose request may have reached the server (dropped
/// connection after sending, 5xx) is never re-sent; the row is rejected as `OUTCOME_UNKNOWN`
/// by the runner (the API has no read to look the note up). 429s and refused connections are
/// retried: nothing was done.
public final class FactorsNetworkClient: @unchecked Sendable {
    public let target: FactorsNetworkTarget
    private let limiter: RateLimiter
    private let audit: AuditSink?
    public var retryPolicy: RetryPolicy
    private let authorization: String

    public init(target: FactorsNetworkTarget, limiter: RateLimiter, audit: AuditSink?, retryPolicy: RetryPolicy = RetryPolicy()) {
        self.target = target
        self.limiter = limiter
        self.audit = audit
        self.retryPolicy = retryPolicy
        self.authorization = "Basic " + Data("\(target.user):\(target.password)".utf8).base64EncodedString()
    }

    /// Sends a call. Throws `credentialsRefused` on HTTP 401: every later call would fail too.
    /// Warnings for the operator's log (a server's Retry-After out of range). Set once, before any call.
    public var warn: ((String) -> Void)?

    public func perform(_ call: APICall, using http: CurlHTTPClient) throws -> APIResult {
        var attempt = 0
        while true {
            attempt += 1
            let (classification, json, status) = sendOnce(call, using: http, attempt: attempt)
            if case .authRejected = classification {
                throw ClientError.credentialsRefused("the Factors Network refused the credentials (HTTP 401): check FACTORS_NETWORK_USER and FACTORS_NETWORK_PASSWORD")
            }
            let retryable = ScollectClient.paceAndDecideRetry(classification, status: status, call: call, limiter: limiter, warn: warn)
            if !retryable || attempt >= retryPolicy.maxAttempts {
                return APIResult(classification: classification, json: json, httpStatus: status, attempts: attempt)
            }
            sleepPrecisely(retryPolicy.delay(beforeAttempt: attempt + 1))
        }
    }

    /// `a=1&b=x%20y`: the body's string pairs, in order.
    static func formEncoded(_ body: JSONValue?) -> [UInt8] {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let pairs = body?.objectValue ?? []
        let text = pairs.map { key, value in
            let encodedKey = key.addingPercentEncoding(withAllowedCharacters: allowed) ?? key
            let encodedValue = (value.stringValue ?? "").addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
            return encodedKey + "=" + encodedValue
        }.joined(separator: "&")
        return Array(text.utf8)
    }

    /// A 2xx answer is a success only when it lists the note it created (`{"notes": [ … ]}`).
    static func classify(_ response: HTTPResponse) -> (ResponseClass, JSONValue?) {
        guard (200..<300).contains(response.status) else { return ResponseClassifier.classify(response) }
        guard let json = JSONValue.parse(response.body) else {
            return (.unreadable(message: "HTTP \(response.status) with a body that is not JSON: \(ResponseClassifier.snippet(response.body))"), nil)
        }
        if let notes = json["notes"]?.arrayValue, !notes.isEmpty { return (.success, json) }
        if let error = json["error"]?.stringValue { return (.errorInBody(message: error, code: nil), json) }
        return (.unreadable(message: "no \"notes\" in the Factors Network answer"), json)
    }

    private func sendOnce(_ call: APICall, using http: CurlHTTPClient, attempt: Int) -> (ResponseClass, JSONValue?, Int?) {
        let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"), ("Authorization", authorization)]
        let request = HTTPRequest(method: call.method, url: target.baseURL + call.path, headers: headers,
                                  body: call.body == nil ? nil : FactorsNetworkClient.formEncoded(call.body))
        limiter.acquire()
        let started = Date()
        let startedClock = monotonicSeconds()
        var classification: ResponseClass
        var json: JSONValue?
        var status: Int?
        do {
            let response = try http.perform(request)
            status = response.status
            (classification, json) = FactorsNetworkClient.classify(response)
        } catch let error as TransportError {
            classification = .transportError(message: error.message, requestMayHaveBeenSent: error.requestMayHaveBeenSent)
        } catch {
            classification = .transportError(message: "\(error)", requestMayHaveBeenSent: true)
        }
        audit?.record(AuditEntry(time: started, method: call.method, endpoint: call.endpoint, filenumber: call.filenumber,
                                 body: call.body, httpStatus: status, outcome: classification.label,
                                 message: classification.message, latencyMs: (monotonicSeconds() - startedClock) * 1000, attempt: attempt))
        return (classification, json, status)
    }
}
