import Foundation
import Logging

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
    /// Its own send path, for calls made to it directly; calls handed over by the Scollect
    /// client go through that client's (one audit, one set of counters, one `--verbose`).
    private let sender: CallSender
    public var retryPolicy: RetryPolicy {
        get { sender.retryPolicy }
        set { sender.retryPolicy = newValue }
    }
    private let encoding: CallSender.Encoding
    /// Warnings for the operator's log (a server's Retry-After out of range), for calls made to
    /// it directly. Set once, before any call.
    public var warn: Logger? {
        get { sender.warn }
        set { sender.warn = newValue }
    }

    public init(target: FactorsNetworkTarget, limiter: RateLimiter, audit: AuditSink?, retryPolicy: RetryPolicy = RetryPolicy()) {
        self.target = target
        self.limiter = limiter
        self.sender = CallSender(audit: audit, retryPolicy: retryPolicy)
        let authorization = "Basic " + Data("\(target.user):\(target.password)".utf8).base64EncodedString()
        let baseURL = target.baseURL
        encoding = CallSender.Encoding(request: { call in
            let headers = [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"), ("Authorization", authorization)]
            return HTTPRequest(method: call.method, url: baseURL + call.path, headers: headers,
                               body: call.body == nil ? nil : FactorsNetworkClient.formEncoded(call.body), mayRepeat: call.idempotent)
        }, classify: { response, _ in FactorsNetworkClient.classify(response) })
    }

    /// Sends a call, through `sender` when given (the Scollect client's), else its own. Throws
    /// `credentialsRefused` on HTTP 401: every later call would fail too.
    public func perform(_ call: APICall, using http: any HTTPTransport, through sender: CallSender? = nil) throws -> APIResult {
        let result = (sender ?? self.sender).send(call, using: http, encoding: encoding, limiter: limiter)
        if case .authRejected = result.classification {
            throw ClientError.credentialsRefused("the Factors Network refused the credentials (HTTP 401): check FACTORS_NETWORK_USER and FACTORS_NETWORK_PASSWORD")
        }
        return result
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
}
