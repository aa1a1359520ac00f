import Foundation

public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// False for a request that must never leave twice (an insert): a transport may not send it
    /// again on its own, not even when a kept-alive connection closed before any byte of the
    /// answer (libcurl does that silently unless the body cannot be rewound).
    public var mayRepeat: Bool

    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil, mayRepeat: Bool = true) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.mayRepeat = mayRepeat
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased; over libcurl, only those something reads
    /// (`CurlHTTPClient.keptHeaders`).
    public var headers: [String: String]
    public var body: Data
    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A failure below HTTP. `requestMayHaveBeenSent` decides whether a call that is not
/// idempotent may be retried: once the request may have reached the server it must not be.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let requestMayHaveBeenSent: Bool
    public let timedOut: Bool
    public var description: String { message }
    public init(message: String, requestMayHaveBeenSent: Bool, timedOut: Bool) {
        self.message = message
        self.requestMayHaveBeenSent = requestMayHaveBeenSent
        self.timedOut = timedOut
    }
}

/// How a client talks HTTP: libcurl (`CurlHTTPClient`) in a run, a scripted transport in
/// tests. One instance per thread: it may keep its connection open between calls.
public protocol HTTPTransport: AnyObject {
    /// Sends the request and returns the whole answer; throws `TransportError` when there is no
    /// HTTP answer (and says whether the request may have reached the server).
    func perform(_ request: HTTPRequest) throws -> HTTPResponse
    /// The same, with the answer's body written to `path` instead of memory (a listing of a
    /// whole portfolio); the response's `body` is empty.
    func perform(_ request: HTTPRequest, spoolingBodyTo path: String) throws -> HTTPResponse
}
