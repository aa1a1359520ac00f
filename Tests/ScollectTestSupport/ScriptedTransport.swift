import Foundation
import ScollectETL

/// An `HTTPTransport` that plays answers from a script instead of talking to a server: each
/// request (method and path) gets the next answer queued for it, and the fallback once its
/// queue is empty. Every request is kept, in order, for the test to look at. Thread-safe: one
/// instance can serve every worker of a run.
public final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    public indirect enum Answer: Sendable {
        /// A complete HTTP answer.
        case respond(status: Int, body: String, headers: [String: String])
        /// The request left, then the connection closed before a single byte of answer (a
        /// server or proxy that committed and died).
        case closedBeforeAnswer
        /// The status line and part of the body, then the connection closed.
        case truncated(status: Int, partialBody: String)
        /// The connection was refused: the request never left this machine.
        case refused
        /// The answer after `seconds`; longer than the transport's timeout, a timeout.
        case after(seconds: Double, Answer)

        /// A 200 (or `status`) with a JSON body.
        public static func json(_ body: String, status: Int = 200) -> Answer { .respond(status: status, body: body, headers: [:]) }
    }

    private let lock = NSLock()
    private var script: [String: [Answer]] = [:]
    private var recorded: [HTTPRequest] = []
    private let fallback: @Sendable (HTTPRequest) -> Answer
    public var timeoutSeconds: Double

    /// `fallback` answers a request nothing was queued for (default: 404).
    public init(timeoutSeconds: Double = 30,
                fallback: @escaping @Sendable (HTTPRequest) -> Answer = { _ in .json(#"{"msg": "not scripted"}"#, status: 404) }) {
        self.timeoutSeconds = timeoutSeconds
        self.fallback = fallback
    }

    /// Queues answers for `METHOD path` (`"GET", "/getaccount/R1001"`), played in order.
    public func queue(_ method: String, _ path: String, _ answers: Answer...) {
        lock.lock()
        script[ScriptedTransport.key(method, path), default: []].append(contentsOf: answers)
        lock.unlock()
    }

    /// The requests made so far, in order.
    public var requests: [HTTPRequest] { lock.lock(); defer { lock.unlock() }; return recorded }

    /// The paths of the requests made so far, as `METHOD /path`.
    public var requestLines: [String] { requests.map { ScriptedTransport.key($0.method, ScriptedTransport.path(of: $0.url)) } }

    public func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        try play(next(for: request))
    }

    public func perform(_ request: HTTPRequest, spoolingBodyTo path: String) throws -> HTTPResponse {
        var response = try perform(request)
        try response.body.write(to: URL(fileURLWithPath: path))
        response.body = Data()
        return response
    }

    private func next(for request: HTTPRequest) -> Answer {
        let key = ScriptedTransport.key(request.method, ScriptedTransport.path(of: request.url))
        lock.lock()
        defer { lock.unlock() }
        recorded.append(request)
        if var answers = script[key], !answers.isEmpty {
            let answer = answers.removeFirst()
            script[key] = answers
            return answer
        }
        return fallback(request)
    }

    private func play(_ answer: Answer) throws -> HTTPResponse {
        switch answer {
        case let .respond(status, body, headers):
            return HTTPResponse(status: status, headers: Dictionary(uniqueKeysWithValues: headers.map { ($0.key.lowercased(), $0.value) }),
                                body: Data(body.utf8))
        case .closedBeforeAnswer:
            throw TransportError(message: "Server returned nothing (no headers, no data) (curl 52)", requestMayHaveBeenSent: true, timedOut: false)
        case .truncated:
            throw TransportError(message: "Transferred a partial file (curl 18)", requestMayHaveBeenSent: true, timedOut: false)
        case .refused:
            throw TransportError(message: "Couldn't connect to server (curl 7)", requestMayHaveBeenSent: false, timedOut: false)
        case let .after(seconds, answer):
            guard seconds < timeoutSeconds else {
                Thread.sleep(forTimeInterval: timeoutSeconds)
                throw TransportError(message: "Timeout was reached (curl 28)", requestMayHaveBeenSent: true, timedOut: true)
            }
            Thread.sleep(forTimeInterval: seconds)
            return try play(answer)
        }
    }

    static func key(_ method: String, _ path: String) -> String { "\(method) \(path)" }

    static func path(of url: String) -> String {
        URLComponents(string: url)?.percentEncodedPath ?? url
    }
}
