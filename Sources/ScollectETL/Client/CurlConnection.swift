import CCurl
import Foundation

/// One connection libcurl opened (`CURLOPT_CONNECT_ONLY`: name resolution, TCP, TLS with
/// verification, a proxy's tunnel) and over which `CurlHTTPClient` writes its requests and reads
/// its answers itself (`curl_easy_send`, `curl_easy_recv`: through TLS when there is TLS).
///
/// libcurl's own HTTP layer cost ~115 k instructions and five `poll`s a call (43 k of them
/// formatting the header lines one character at a time through its `printf`); this one costs a
/// request's bytes copied once, one `poll` to check a kept connection, and the reads.
final class CurlConnection {
    private let handle: UnsafeMutableRawPointer
    private let socket: Int32
    /// Bytes read and not yet consumed: `buffer[start..<end]`.
    private(set) var buffer: [UInt8]
    private(set) var start = 0
    private(set) var end = 0
    /// Answers read whole on this connection (0: it is new).
    var answers = 0
    /// Plain TCP, no TLS: no bytes can wait in a TLS library's buffer, so the socket alone says
    /// whether an answer has come.
    private let plain: Bool

    /// Connects to `origin` (`scheme://authority`) using only `protocols` (CURLOPT_PROTOCOLS_STR).
    /// Throws a `TransportError` that says nothing was sent.
    init(origin: String, protocols: String, connectTimeoutSeconds: Double, timeoutSeconds: Double) throws {
        guard let handle = curl_easy_init() else { fatalError("libcurl: curl_easy_init failed (out of memory)") }
        self.handle = handle
        if let bundle = CurlHTTPClient.caBundle { _ = bundle.withCString { scurl_setopt_ptr(handle, CURLOPT_CAINFO, $0) } }
        _ = (origin + "/").withCString { scurl_setopt_ptr(handle, CURLOPT_URL, $0) }
        _ = protocols.withCString { scurl_setopt_ptr(handle, CURLOPT_PROTOCOLS_STR, $0) }
        _ = scurl_setopt_long(handle, CURLOPT_CONNECT_ONLY, 1)
        // Through an HTTP proxy (`https_proxy`, `http_proxy`), a CONNECT tunnel for plain http too:
        // the request written here is in origin form, which only the server itself reads (a
        // proxy without the tunnel got `GET /path` and took the Host header for it, or refused).
        _ = scurl_setopt_long(handle, CURLOPT_HTTPPROXYTUNNEL, 1)
        _ = scurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = scurl_setopt_long(handle, CURLOPT_TCP_NODELAY, 1)
        _ = scurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        _ = scurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(connectTimeoutSeconds * 1000)))
        _ = scurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(1, Int(timeoutSeconds * 1000)))
        let code = curl_easy_perform(handle)
        var socket: curl_socket_t = -1
        if code == CURLE_OK { _ = scurl_getinfo_socket(handle, CURLINFO_ACTIVESOCKET, &socket) }
        guard code == CURLE_OK, socket >= 0 else {
            curl_easy_cleanup(handle)
            throw CurlConnection.error(code == CURLE_OK ? CURLE_COULDNT_CONNECT : code, maySent: false)
        }
        self.socket = socket
        plain = origin.utf8.starts(with: "http:".utf8) || origin.utf8.starts(with: "HTTP:".utf8)
        buffer = [UInt8](repeating: 0, count: 16 * 1024)
    }

    deinit { curl_easy_cleanup(handle) }

    /// A libcurl error code as a `TransportError`, with libcurl's own words.
    static func error(_ code: CURLcode, maySent: Bool, detail: String? = nil) -> TransportError {
        let words = String(cString: curl_easy_strerror(code))
        return TransportError(message: "\(words)\(detail.map { ": \($0)" } ?? "") (curl \(code.rawValue))",
                              requestMayHaveBeenSent: maySent, timedOut: code == CURLE_OPERATION_TIMEDOUT)
    }

    /// Whether a kept connection can take a request: nothing arrived since its last answer, the
    /// server did not close it. A server that closed an idle connection is found here, before a
    /// request leaves on it (where its answer could only be lost); TLS records that carry no
    /// data (a session ticket) are read and leave the connection usable.
    func isReusable() -> Bool {
        guard start == end else { return false }
        var probe = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&probe, 1, 0) > 0 else { return true }
        var byte: UInt8 = 0
        var n = 0
        return curl_easy_recv(handle, &byte, 1, &n) == CURLE_AGAIN
    }

    /// Writes all of `bytes`; `sent` counts what left, for the caller's "may have been sent".
    func send(_ bytes: UnsafeRawBufferPointer, deadline: Double, sent: inout Int) throws {
        while sent < bytes.count {
            var n = 0
            let code = curl_easy_send(handle, bytes.baseAddress! + sent, bytes.count - sent, &n)
            if code == CURLE_AGAIN {
                try wait(for: POLLOUT, deadline: deadline, maySent: sent > 0)
                continue
            }
            guard code == CURLE_OK else { throw CurlConnection.error(code, maySent: sent > 0) }
            sent += n
        }
    }

    /// Waits for the answer to a request that just left (plain TCP only: a read that would only
    /// say "nothing yet" is one system call a request saved).
    func awaitAnswer(deadline: Double) throws {
        if plain && start == end { try wait(for: POLLIN, deadline: deadline, maySent: true) }
    }

    /// Reads more bytes into `buffer[end...]`, growing it when full; returns how many (0: the
    /// server closed the connection).
    @discardableResult
    func fill(deadline: Double) throws -> Int {
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            if start > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    raw.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: end - start)
                }
                end -= start
                start = 0
            } else {
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))
            }
        }
        while true {
            var n = 0
            let code = buffer.withUnsafeMutableBytes { raw in curl_easy_recv(handle, raw.baseAddress! + end, raw.count - end, &n) }
            switch code {
            case CURLE_OK:
                end += n
                return n
            case CURLE_AGAIN:
                try wait(for: POLLIN, deadline: deadline, maySent: true)
            default:
                throw CurlConnection.error(code, maySent: true)
            }
        }
    }

    /// Marks `count` buffered bytes as consumed.
    func consume(_ count: Int) {
        start += count
        if start == end { start = 0; end = 0 }
    }

    private func wait(for event: Int32, deadline: Double, maySent: Bool) throws {
        while true {
            let left = deadline - monotonicSeconds()
            guard left > 0 else { throw CurlConnection.error(CURLE_OPERATION_TIMEDOUT, maySent: maySent) }
            var waiting = pollfd(fd: socket, events: Int16(event), revents: 0)
            let ready = poll(&waiting, 1, Int32(min(left * 1000 + 1, Double(Int32.max))))
            if ready > 0 { return } // readable, writable, or closed/failed: the next call says which
            if ready < 0 && errno != EINTR {
                throw CurlConnection.error(event == POLLIN ? CURLE_RECV_ERROR : CURLE_SEND_ERROR, maySent: maySent,
                                           detail: String(cString: strerror(errno)))
            }
        }
    }
}
