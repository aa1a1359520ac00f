import CCurl
import Foundation

/// HTTP over libcurl. One instance per thread: the easy handle keeps its connection open, so
/// consecutive calls from the same worker reuse it. TLS verification is libcurl's default
/// (on) and there is deliberately no switch to turn it off. Each request may use https only,
/// and plain http only to a loopback address (`URLPolicy`).
///
/// The options every request shares (callbacks, timeouts, TCP settings) are set once on the
/// handle; a call sets only what differs from the previous one (URL, method, body, and the
/// header list when its headers changed): `curl_easy_reset` and fifteen options per call cost
/// more than the call's own JSON.
public final class CurlHTTPClient: HTTPTransport {
    private let handle: UnsafeMutableRawPointer
    public var timeoutSeconds: Double
    public var connectTimeoutSeconds: Double
    /// `protocols(for:)`'s answers, by scheme and authority.
    private var protocolsByOrigin: [Substring: String] = [:]
    /// What the handle holds from earlier calls, so that a call sets only what changed.
    private var appliedProtocols: String?
    private var appliedTimeouts: (Double, Double)?
    private var appliedHeaders: [(String, String)]?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var customMethodSet = false
    private let sink = Sink()
    /// A PEM bundle of the CAs to trust instead of the system's (`SCOLLECT_CA_BUNDLE`), for a
    /// server behind a private CA. Verification itself stays on.
    public static let caBundle: String? = ProcessInfo.processInfo.environment["SCOLLECT_CA_BUNDLE"].flatMap { $0.isEmpty ? nil : $0 }

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(timeoutSeconds: Double = 30, connectTimeoutSeconds: Double = 10) {
        _ = CurlHTTPClient.globalInit
        guard let handle = curl_easy_init() else { fatalError("libcurl: curl_easy_init failed (out of memory)") }
        self.handle = handle
        self.timeoutSeconds = timeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        setSharedOptions()
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
    }

    private final class Sink {
        var body = Data()
        var headers: [String: String] = [:]
        /// When set, the body goes to this file instead of memory (a listing of a whole portfolio).
        var spool: Int32 = -1
        var spoolFailed = false
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
        sink.body = Data()
        sink.headers = [:]
        sink.spool = spool
        sink.spoolFailed = false
        _ = request.url.withCString { scurl_setopt_ptr(handle, CURLOPT_URL, $0) }
        setPerRequestOptions(request)
        let body = request.body ?? []
        let source = OneShotBody(body)
        let code: CURLcode = body.withUnsafeBufferPointer { bodyBuffer in
            setMethod(request, body: bodyBuffer, source: source)
            return withExtendedLifetime(source) { curl_easy_perform(handle) }
        }
        if !request.mayRepeat && request.method != "GET" { OneShotBody.detach(from: handle) }

        guard code == CURLE_OK else { throw transportError(code) }
        var status = 0
        _ = scurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let response = HTTPResponse(status: status, headers: sink.headers, body: sink.body)
        sink.body = Data()
        return response
    }

    /// The options every request shares, set once on the handle.
    private func setSharedOptions() {
        if let bundle = CurlHTTPClient.caBundle { _ = bundle.withCString { scurl_setopt_ptr(handle, CURLOPT_CAINFO, $0) } }
        _ = scurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = scurl_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
        _ = scurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        _ = scurl_setopt_ptr(handle, CURLOPT_WRITEDATA, sinkPointer)
        _ = scurl_setopt_write(handle, CURLOPT_WRITEFUNCTION) { data, size, count, userdata in
            let sink = Unmanaged<Sink>.fromOpaque(userdata!).takeUnretainedValue()
            let length = size * count
            guard let data else { return length }
            if sink.spool >= 0 {
                var written = 0
                while written < length {
                    let n = write(sink.spool, data + written, length - written)
                    if n <= 0 { sink.spoolFailed = true; return 0 } // makes curl stop with a write error
                    written += n
                }
            } else {
                sink.body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length)
            }
            return length
        }
        _ = scurl_setopt_ptr(handle, CURLOPT_HEADERDATA, sinkPointer)
        _ = scurl_setopt_write(handle, CURLOPT_HEADERFUNCTION) { data, size, count, userdata in
            let sink = Unmanaged<Sink>.fromOpaque(userdata!).takeUnretainedValue()
            let length = size * count
            if let data {
                let line = UnsafeBufferPointer(start: UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length)
                if CurlHTTPClient.isKept(line), let (name, value) = CurlHTTPClient.headerField(line) {
                    sink.headers[name] = value
                } else if line.starts(with: "HTTP/".utf8) {
                    sink.headers.removeAll() // a new response (after a 100 Continue): forget the old headers
                }
            }
            return length
        }
    }

    /// The allowed protocols, the timeouts and the header list, each only when it changed.
    private func setPerRequestOptions(_ request: HTTPRequest) {
        // https only, and http besides for a loopback URL; no redirect anywhere else either.
        let protocols = protocols(for: request.url)
        if protocols != appliedProtocols {
            _ = protocols.withCString { protocols in
                _ = scurl_setopt_ptr(handle, CURLOPT_PROTOCOLS_STR, protocols)
                _ = scurl_setopt_ptr(handle, CURLOPT_REDIR_PROTOCOLS_STR, protocols)
            }
            appliedProtocols = protocols
        }
        if appliedTimeouts.map({ $0 != (timeoutSeconds, connectTimeoutSeconds) }) ?? true {
            _ = scurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeoutSeconds * 1000))
            _ = scurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeoutSeconds * 1000))
            appliedTimeouts = (timeoutSeconds, connectTimeoutSeconds)
        }
        if appliedHeaders.map({ !$0.elementsEqual(request.headers, by: ==) }) ?? true {
            var list: UnsafeMutablePointer<curl_slist>?
            for (name, value) in request.headers { list = curl_slist_append(list, "\(name): \(value)") }
            // No "Expect: 100-continue" round trip for our small bodies.
            list = curl_slist_append(list, "Expect:")
            _ = scurl_setopt_ptr(handle, CURLOPT_HTTPHEADER, list)
            curl_slist_free_all(headerList)
            headerList = list
            appliedHeaders = request.headers
        }
    }

    /// GET, or a body sent from memory (a request that may repeat) or read once (one that may not).
    private func setMethod(_ request: HTTPRequest, body bodyBuffer: UnsafeBufferPointer<UInt8>, source: OneShotBody) {
        switch request.method {
        case "GET":
            _ = scurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        default:
            _ = scurl_setopt_long(handle, CURLOPT_POST, 1)
            _ = scurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, bodyBuffer.count)
            if request.mayRepeat {
                _ = scurl_setopt_ptr(handle, CURLOPT_POSTFIELDS, bodyBuffer.baseAddress ?? UnsafePointer<UInt8>(bitPattern: 1))
            } else {
                _ = scurl_setopt_ptr(handle, CURLOPT_POSTFIELDS, nil)
                source.attach(to: handle)
            }
        }
        let custom = request.method != "GET" && request.method != "POST"
        if custom {
            _ = request.method.withCString { scurl_setopt_ptr(handle, CURLOPT_CUSTOMREQUEST, $0) }
        } else if customMethodSet {
            _ = scurl_setopt_ptr(handle, CURLOPT_CUSTOMREQUEST, nil)
        }
        customMethodSet = custom
    }

    private func transportError(_ code: CURLcode) -> TransportError {
        var requestSize = 0
        _ = scurl_getinfo_long(handle, CURLINFO_REQUEST_SIZE, &requestSize)
        let neverSent: Set<UInt32> = [CURLE_COULDNT_RESOLVE_HOST.rawValue, CURLE_COULDNT_CONNECT.rawValue,
                                      CURLE_URL_MALFORMAT.rawValue, CURLE_UNSUPPORTED_PROTOCOL.rawValue,
                                      CURLE_SSL_CONNECT_ERROR.rawValue, CURLE_PEER_FAILED_VERIFICATION.rawValue]
        // A body that could not be rewound: the request left on a kept-alive connection that
        // then closed without an answer, and libcurl wanted to send it again. It may have acted.
        let maySent = code == CURLE_SEND_FAIL_REWIND || (!neverSent.contains(code.rawValue) && requestSize > 0)
        let message = String(cString: curl_easy_strerror(code))
        return TransportError(message: "\(message) (curl \(code.rawValue))", requestMayHaveBeenSent: maySent,
                              timedOut: code == CURLE_OPERATION_TIMEDOUT)
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

    /// The protocols libcurl may use for `url` (`URLPolicy.curlProtocols`), worked out once per
    /// scheme and authority: parsing the URL on every call costs more than the call's JSON.
    func protocols(for url: String) -> String {
        guard let origin = URLPolicy.origin(of: url) else { return URLPolicy.curlProtocols(for: url) }
        if let known = protocolsByOrigin[origin] { return known }
        let protocols = URLPolicy.curlProtocols(for: url)
        if protocolsByOrigin.count < 64 { protocolsByOrigin[origin] = protocols }
        return protocols
    }
}

/// A request body libcurl reads once and cannot rewind. libcurl silently sends a request again
/// when a kept-alive connection closes before any byte of the answer; it must rewind the body
/// to do so, and this body refuses (`CURL_SEEKFUNC_FAIL`), so the transfer fails with
/// `CURLE_SEND_FAIL_REWIND` instead of writing twice. The connection is still reused for the
/// requests that follow: an insert costs no extra handshake.
final class OneShotBody {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func attach(to handle: UnsafeMutableRawPointer) {
        let pointer = Unmanaged.passUnretained(self).toOpaque()
        _ = scurl_setopt_ptr(handle, CURLOPT_READDATA, pointer)
        _ = scurl_setopt_write(handle, CURLOPT_READFUNCTION) { buffer, size, count, userdata in
            let body = Unmanaged<OneShotBody>.fromOpaque(userdata!).takeUnretainedValue()
            let n = min(size * count, body.bytes.count - body.offset)
            if n > 0, let buffer {
                body.bytes.withUnsafeBufferPointer { source in
                    UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + body.offset, byteCount: n)
                }
                body.offset += n
            }
            return n
        }
        _ = scurl_setopt_ptr(handle, CURLOPT_SEEKDATA, pointer)
        _ = scurl_setopt_seek(handle, CURLOPT_SEEKFUNCTION) { _, _, _ in 1 } // CURL_SEEKFUNC_FAIL: never rewound
    }

    /// Back to libcurl's defaults once the transfer is over: the handle outlives the body.
    static func detach(from handle: UnsafeMutableRawPointer) {
        _ = scurl_setopt_ptr(handle, CURLOPT_READDATA, nil)
        _ = scurl_setopt_write(handle, CURLOPT_READFUNCTION, nil)
        _ = scurl_setopt_ptr(handle, CURLOPT_SEEKDATA, nil)
        _ = scurl_setopt_seek(handle, CURLOPT_SEEKFUNCTION, nil)
    }
}
