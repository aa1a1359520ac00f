import Foundation

/// What an answer means for the row that asked, read the same way by load, export and
/// rollback runs and by the payment ledger.
extension APIResult {
    /// For a write that is not safe to send twice: the request may have reached the server and
    /// no answer given in full proves that nothing was written. The connection closed or reset
    /// after the request left, a timeout, a 5xx or 408, `"state": "TIMEOUT"`, an empty or
    /// unparseable 200. Such an outcome is unknown until a read settles it; only an answer
    /// that proves nothing was written (an error inside a 200, a 4xx) is a refusal.
    public var answerLost: Bool {
        switch classification {
        case let .transportError(_, requestMayHaveBeenSent): return requestMayHaveBeenSent
        case let .httpError(status, _): return status >= 500 || status == 408
        case .timeoutState, .unreadable: return true
        default: return false
        }
    }

    /// The phones of a `getphones` answer: digits, and status and type as the API wrote them.
    var phones: [(digits: String, status: String?, type: String?)] {
        (json?["result"]?.arrayValue ?? []).compactMap { phone in
            guard let number = phone["phonenumber"]?.stringValue else { return nil }
            return (number.filter(\.isNumber), phone["phonestatus"]?.stringValue, phone["phonetype"]?.stringValue)
        }
    }

    /// A 429, or a connection that never carried the request: the server did nothing.
    var tooManyRequestsOrRefusedConnection: Bool {
        switch classification {
        case .rateLimited: return true
        case let .transportError(_, requestMayHaveBeenSent): return !requestMayHaveBeenSent
        default: return false
        }
    }

    /// The reject a failed call gives its row. `summary` names the call (`updatedbase city`).
    func rowIssue(summary: String, idempotent: Bool) -> RowIssue {
        let message = "\(summary): \(classification.message ?? classification.label)"
        switch classification {
        case let .errorInBody(text, _):
            return RowIssue(ResponseClass.meansNotFound(text) ? .accountNotFound : .apiError, field: nil, message)
        case .timeoutState where !idempotent, .unreadable where !idempotent, .httpError where !idempotent && answerLost:
            return RowIssue(.outcomeUnknown, field: nil, message + " — the server may have acted on it; not re-sent, check the account by hand")
        case .timeoutState: return RowIssue(.apiTimeout, field: nil, message)
        case .httpError(500..., _), .rateLimited:
            return RowIssue(.apiErrorRetryable, field: nil, message + " — failed after \(attempts) attempts; safe to send again: run the file again later")
        case .httpError, .authRejected: return RowIssue(.httpError, field: nil, message)
        case let .transportError(_, maySent):
            if maySent && !idempotent {
                return RowIssue(.outcomeUnknown, field: nil, message + " — the request may have reached the server; not re-sent, check the account by hand")
            }
            return RowIssue(.apiErrorRetryable, field: nil, message + " — failed after \(attempts) attempts; safe to send again: run the file again later")
        case .emptyResult: return RowIssue(.apiError, field: nil, "\(summary): empty result")
        case .unreadable, .success: return RowIssue(.apiError, field: nil, message)
        }
    }
}

extension ResponseClass {
    /// The API's words for "no such account" (`getaccount`, `getpayments`, …).
    static func meansNotFound(_ message: String) -> Bool {
        let lower = message.lowercased()
        return lower.contains("data not found for this filenumber") || (lower.contains("file number") && lower.contains("does not exist"))
    }

    /// How a per-account list (`getpayments`, `getnotes`, `getattempts`) may answer an account
    /// that has none: the documented "does not exist" or "does not have any … or may not exist".
    static func meansNoRecords(_ message: String) -> Bool {
        let lower = message.lowercased()
        return meansNotFound(message) || lower.contains("does not have any") || lower.contains("no records")
    }

    /// The documented answer of `getphones` for an account without phones.
    static func meansNoPhones(_ message: String) -> Bool {
        message.lowercased().contains("does not have associated phone")
    }
}

/// Paths of the API's calls.
enum APIPath {
    /// A file number as one path segment (`/getaccount/<filenumber>`).
    static func component(_ value: String) -> String {
        // Letters, digits and `-._~` never need escaping: the usual file number, without Foundation.
        if !value.isEmpty, value.utf8.allSatisfy({ b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 45 || b == 46 || b == 95 || b == 126
        }) { return value }
        return value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? value
    }

    /// `GET /<endpoint>/<filenumber>`: the per-account reads.
    static func accountRead(_ endpoint: String, _ filenumber: String) -> APICall {
        APICall(method: "GET", endpoint: endpoint, path: "/\(endpoint)/\(component(filenumber))", filenumber: filenumber, idempotent: true)
    }
}
