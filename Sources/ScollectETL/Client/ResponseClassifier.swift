import Foundation

/// What a Scollect response really means. The API answers `"state": "SUCCESS"` whenever the
/// server was reached, errors included, so the HTTP status alone says little.
public enum ResponseClass: Equatable, Sendable {
    /// The call did what was asked.
    case success
    /// `{"result": {"result": []}}` or `{"result": []}`: nothing there (for getaccount: no such account).
    case emptyResult
    /// An error inside an HTTP 200: `result.error` or `result: [{"error": …}, code]`.
    case errorInBody(message: String, code: Int?)
    /// `"state": "TIMEOUT"` with a `status` message: the document uses it for a validation failure.
    case timeoutState(status: String)
    /// HTTP 429: over the server's rate limit; nothing was done. `retryAfter` is always a
    /// finite wait of at most `RetryAfter.longestWait`; `warning` says when the server's was replaced.
    case rateLimited(retryAfter: Double?, warning: String? = nil)
    /// HTTP 401 with a `msg` (token expired or missing): log in again.
    case authRejected(message: String)
    /// Any other HTTP error status.
    case httpError(status: Int, message: String)
    /// No HTTP answer at all.
    case transportError(message: String, requestMayHaveBeenSent: Bool)
    /// HTTP 200 whose body is not a Scollect envelope.
    case unreadable(message: String)

    /// Short label for the audit report and the summary.
    public var label: String {
        switch self {
        case .success: return "success"
        case .emptyResult: return "empty_result"
        case .errorInBody: return "error_in_200"
        case .timeoutState: return "timeout_state"
        case .rateLimited: return "rate_limited"
        case .authRejected: return "auth_rejected"
        case .httpError: return "http_error"
        case .transportError: return "transport_error"
        case .unreadable: return "unreadable"
        }
    }

    public var message: String? {
        switch self {
        case .success, .emptyResult: return nil
        case let .errorInBody(message, code): return code.map { "\(message) (\($0))" } ?? message
        case let .timeoutState(status): return status
        case let .rateLimited(retryAfter, warning):
            return (retryAfter.map { "rate limited, retry after \($0) s" } ?? "rate limited") + (warning.map { " (\($0))" } ?? "")
        case let .authRejected(message): return message
        case let .httpError(status, message): return "HTTP \(status): \(message)"
        case let .transportError(message, _): return message
        case let .unreadable(message): return message
        }
    }
}

public enum ResponseClassifier {
    /// `fields`: only these fields of the answer's `result` records are kept (`APICall.answerFields`).
    public static func classify(_ response: HTTPResponse, fields: AnswerFields? = nil) -> (ResponseClass, JSONValue?) {
        let json = JSONValue.parse(response.body, fields: fields)
        switch response.status {
        case 200..<300:
            guard let json else { return (.unreadable(message: "HTTP \(response.status) with a body that is not JSON: \(snippet(response.body))"), nil) }
            return (classifyEnvelope(json), json)
        case 429:
            let wait = RetryAfter.decide(response.headers["retry-after"])
            return (.rateLimited(retryAfter: wait?.seconds, warning: wait?.warning), json)
        case 401:
            return (.authRejected(message: json?["msg"]?.stringValue ?? "HTTP 401"), json)
        default:
            let message = json?["msg"]?.stringValue ?? json.map(classifyEnvelope)?.message ?? snippet(response.body)
            return (.httpError(status: response.status, message: message), json)
        }
    }

    /// Reads the envelope of a 2xx body.
    public static func classifyEnvelope(_ json: JSONValue) -> ResponseClass {
        let state = json["state"]?.stringValue?.uppercased()
        if state == "TIMEOUT" {
            return .timeoutState(status: json["status"]?.stringValue ?? json["result"].flatMap { errorMessage(in: $0) }?.message ?? "TIMEOUT")
        }
        if let result = json["result"] {
            if let (message, code) = errorMessage(in: result) { return .errorInBody(message: message, code: code) }
            if isEmpty(result) { return .emptyResult }
            return state == nil || state == "SUCCESS" ? .success : .unreadable(message: "unexpected state \"\(state!)\"")
        }
        // insert_payments_external answers {"state": "SUCCESS", "message": "..."} with no result.
        if state == "SUCCESS" { return .success }
        if let error = json["error"]?.stringValue, !error.isEmpty { return .errorInBody(message: error, code: nil) }
        return .unreadable(message: "no \"result\" and no \"state\" in the response")
    }

    /// `{"error": "…"}` or `[{"error": "…"}, 404]`. An empty error string still is an error
    /// (the insert_payments_external document shows `{"error": ""}`).
    static func errorMessage(in result: JSONValue) -> (message: String, code: Int?)? {
        if let error = result["error"] {
            let text = error.stringValue ?? error.serialized
            return (text.isEmpty ? "error with no message" : text, nil)
        }
        if case let .array(items) = result, let first = items.first, let error = first["error"] {
            var code: Int?
            if items.count > 1, case let .number(n) = items[1] { code = Int(n) }
            let text = error.stringValue ?? error.serialized
            return (text.isEmpty ? "error with no message" : text, code)
        }
        return nil
    }

    static func isEmpty(_ result: JSONValue) -> Bool {
        switch result {
        case let .array(items): return items.isEmpty
        case let .object(pairs):
            if pairs.isEmpty { return true }
            if pairs.count == 1, pairs[0].0 == "result", let inner = pairs[0].1.arrayValue { return inner.isEmpty }
            return false
        case .null: return true
        default: return false
        }
    }

    static func snippet(_ data: Data) -> String {
        let text = String(decoding: data.prefix(200), as: UTF8.self)
        return text.isEmpty ? "(empty body)" : text
    }
}
