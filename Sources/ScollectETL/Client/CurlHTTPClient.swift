import CCurl
import Foundation

/// HTTP/1.1 over connections libcurl opens. libcurl does what is hard to get right (name
/// resolution, TCP, TLS and its verification, proxies' tunnels: `CurlConnection`); the request's
/// bytes and the answer's framing are written and read here (`HTTP1Answer`). One instance per
/// thread: it keeps one connection per origin open, so consecutive calls from the same worker
/// reuse it. TLS verification is libcurl's default (on) and there is deliberately no switch to
/// turn it off. Each request may use https only, and plain http only to a loopback address
/// (`URLPolicy`, enforced on every connection through CURLOPT_PROTOCOLS_STR).
///
/// A request leaves at most once. libcurl's own HTTP layer sends a request again, silently, when
/// a kept-alive connection closes before any byte of its answer; here a kept connection is
/// checked before the request leaves (`CurlConnection.isReusable`), and once any byte of it has
/// left, a lost answer is a `TransportError` that says the request may have been acted on: the
/// caller decides (`CallSender` sends a call safe to repeat again, as an attempt of its own in the
/// audit; an insert never).
public final class CurlHTTPClient: HTTPTransport {
    public var timeoutSeconds: Double
    public var connectTimeoutSeconds: Double
    /// The open connections, by origin (`scheme://authority`).
    private var connections: [Substring: CurlConnection] = [:]
    /// The request being written, reused from call to call.
    private var requestBytes: [UInt8] = []
    /// A PEM bundle of the CAs to trust instead of the system's (`SCOLLECT_CA_BUNDLE`), for a
    /// server behind a private CA. Verification itself stays on.
    public static let caBundle: String? = ProcessInfo.processInfo.environment["SCOLLECT_CA_BUNDLE"].flatMap { $0.isEmpty ? nil : $0 }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(timeoutSeconds: Double = 30, connectTimeoutSeconds: Double = 10) {
        _ = CurlHTTPClient.globalInit
        self.timeoutSeconds = timeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        requestBytes.reserveCapacity(2048)
    }

    /// Like `perform(_:)`, with the body written to `path` instead of memory; the response's
    /// `body` is empty.
    public func perform(_ request: HTTPRequest, spoolingBodyTo path: String) throws -> HTTPResponse {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TransportError(message: "cannot write \(path): \(String(cString: strerror(errno)))", requestMayHaveBeenSent: false, timedOut: false) }
        defer { close(fd) }
        return try perform(request, spool: fd)
    }

    public func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        try perform(request, spool: -1)
    }

    private func perform(_ request: HTTPRequest, spool: Int32) throws -> HTTPResponse {
        let deadline = monotonicSeconds() + timeoutSeconds
        let target = try RequestTarget(request.url)
        try writeRequest(request, target: target)
        let connection = try connection(to: target)
        var sent = 0
        do {
            try requestBytes.withUnsafeBytes { try connection.send($0, deadline: deadline, sent: &sent) }
            try connection.awaitAnswer(deadline: deadline)
            var body = HTTP1Answer.Body(spool: spool)
            let answer = try HTTP1Answer.read(from: connection, method: request.method, deadline: deadline, body: &body)
            if answer.keepAlive { connection.answers += 1 } else { connections[target.origin] = nil }
            return HTTPResponse(status: answer.status, headers: answer.headers, body: body.data)
        } catch {
            connections[target.origin] = nil // whatever it holds now is not the next answer's start
            throw error
        }
    }

    /// A kept connection to the target's origin that can take a request, or a new one.
    private func connection(to target: RequestTarget) throws -> CurlConnection {
        if let kept = connections[target.origin] {
            if kept.isReusable() { return kept }
            connections[target.origin] = nil
        }
        if connections.count >= 8 { connections.removeAll() }
        let connection = try CurlConnection(origin: String(target.origin), protocols: URLPolicy.curlProtocols(for: String(target.origin)),
                                            connectTimeoutSeconds: connectTimeoutSeconds, timeoutSeconds: timeoutSeconds)
        connections[target.origin] = connection
        return connection
    }

    /// The request line, `Host`, the request's headers, `Content-Length` and the body, into
    /// `requestBytes`, each piece copied whole (byte by byte through `UTF8View` cost ~12 k
    /// instructions a request). A header with a line break in it is refused, not sent.
    private func writeRequest(_ request: HTTPRequest, target: RequestTarget) throws {
        requestBytes.removeAll(keepingCapacity: true)
        func put(_ text: String) {
            var text = text
            text.withUTF8 { requestBytes.append(contentsOf: $0) }
        }
        func put(_ text: Substring) {
            var text = text
            text.withUTF8 { requestBytes.append(contentsOf: $0) }
        }
        put(request.method)
        requestBytes.append(0x20)
        put(target.pathAndQuery)
        put(" HTTP/1.1\r\nHost: ")
        put(target.authority)
        put("\r\n")
        for (name, value) in request.headers {
            let nameStart = requestBytes.count
            put(name)
            let nameEnd = requestBytes.count
            guard nameEnd > nameStart, !requestBytes[nameStart..<nameEnd].contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: ":") || $0 >= 0x7F }) else {
                throw CurlConnection.error(CURLE_BAD_FUNCTION_ARGUMENT, maySent: false, detail: "a header name \"\(name)\" no header may have")
            }
            put(": ")
            let valueStart = requestBytes.count
            put(value)
            guard !requestBytes[valueStart...].contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                throw CurlConnection.error(CURLE_BAD_FUNCTION_ARGUMENT, maySent: false, detail: "the header \"\(name)\" holds a line break")
            }
            put("\r\n")
        }
        let body = request.body ?? []
        if request.method != "GET" && request.method != "HEAD" || !body.isEmpty {
            put("Content-Length: ")
            JSONValue.writeInteger(Int64(body.count), to: &requestBytes)
            put("\r\n")
        }
        put("\r\n")
        requestBytes.append(contentsOf: body)
    }
}

/// What a request's URL gives its connection and its request line.
struct RequestTarget {
    /// `scheme://authority`: one connection per origin.
    let origin: Substring
    /// `host[:port]`, for the `Host` header.
    let authority: Substring
    /// The path (`/` when the URL has none) and query, without a fragment.
    let pathAndQuery: Substring

    /// Throws (nothing sent) for a URL that is not `http(s)://authority[/path][?query]` with a
    /// printable ASCII path: an API path is always percent-encoded (`APIPath.component`).
    init(_ url: String) throws {
        func malformed(_ why: String) -> TransportError {
            CurlConnection.error(CURLE_URL_MALFORMAT, maySent: false, detail: why)
        }
        guard let origin = URLPolicy.origin(of: url), let colon = origin.utf8.firstIndex(of: UInt8(ascii: ":")) else {
            throw malformed("no scheme://")
        }
        let scheme = url[..<colon]
        // Over the bytes, any case: `lowercased()` allocated twice a call.
        func named(_ name: StaticString) -> Bool {
            scheme.utf8.count == name.utf8CodeUnitCount
                && zip(scheme.utf8, UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)).allSatisfy { $0 | 0x20 == $1 }
        }
        guard named("http") || named("https"), url.utf8[colon...].starts(with: "://".utf8) else {
            throw CurlConnection.error(CURLE_UNSUPPORTED_PROTOCOL, maySent: false, detail: "\(scheme)://")
        }
        let authority = url[url.utf8.index(colon, offsetBy: 3)..<origin.endIndex]
        guard !authority.isEmpty, !authority.utf8.contains(UInt8(ascii: "@")) else { throw malformed("no host, or a user in the URL") }
        var rest = url[origin.endIndex...]
        if let hash = rest.utf8.firstIndex(of: UInt8(ascii: "#")) { rest = rest[..<hash] }
        guard rest.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw malformed("a space, control or non-ASCII byte in the path") }
        self.origin = origin
        self.authority = authority
        pathAndQuery = rest.isEmpty ? "/" : rest.first == "?" ? Substring("/" + rest) : rest
    }
}

extension CurlHTTPClient {
    /// The answer headers a response keeps (lower-case): those something reads. The others
    /// (date, server, …) are never turned into strings: that cost ~10 k instructions a call.
    static let keptHeaders: [[UInt8]] = ["retry-after", "content-type", "content-length", "location", "www-authenticate"].map { Array($0.utf8) }

    /// Whether the header line's name is one of `keptHeaders` (ASCII, any case).
    static func isKept(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return false }
        return keptHeaders.contains { name in
            name.count == colon && zip(name, line[..<colon]).allSatisfy { $0 == ($1 >= 65 && $1 <= 90 ? $1 + 32 : $1) }
        }
    }

    /// `Name: value` of one header line: the name lower-cased, the value without the whitespace
    /// and line break around it; nil for a line without a colon (the status line, the blank end).
    static func headerField(_ line: UnsafeBufferPointer<UInt8>) -> (String, String)? {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        // Lower-cased in place of a lazy map: `String(decoding:)` over a lazy collection looks up
        // a protocol conformance at run time, on every header line.
        let name = String(unsafeUninitializedCapacity: colon) { buffer in
            for i in 0..<colon { let b = line[i]; buffer[i] = b >= 65 && b <= 90 ? b + 32 : b }
            return colon
        }
        var start = colon + 1, end = line.count
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A || b == 0x0B || b == 0x0C }
        while start < end, isSpace(line[start]) { start += 1 }
        while end > start, isSpace(line[end - 1]) { end -= 1 }
        return (name, String(decoding: UnsafeBufferPointer(rebasing: line[start..<end]), as: UTF8.self))
    }
}
