import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import ScollectSandbox

#if os(Linux)
private let noSignal = Int32(MSG_NOSIGNAL)
#else
private let noSignal: Int32 = 0
#endif

/// HTTP/1.1 over a plain TCP socket, byte for byte: what a keep-alive client really receives,
/// with no library in between to retry, buffer or hide an early close.
final class RawHTTPConnection {
    /// What came back for one request.
    struct Received {
        /// Every byte read for this answer (head and body).
        var bytes: [UInt8] = []
        /// The peer closed the connection (read returned 0) before a complete answer.
        var eof = false
        /// The connection was reset (ECONNRESET) instead of closed.
        var reset = false
        var status: Int?
        var headers: [String: String] = [:]
        var body: [UInt8] = []
        /// The head and a body of its Content-Length arrived.
        var complete = false

        var json: SandboxJSON? { try? SandboxJSON.parse(Data(body)) }
    }

    private let fd: Int32
    /// Bytes read past the end of the previous answer.
    private var pending: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SandboxError("socket() failed: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(fd)
            throw SandboxError("connect to 127.0.0.1:\(port) failed: errno \(errno)")
        }
    }

    deinit {
        close(fd)
    }

    /// Sends one keep-alive request (the connection stays open for the next one).
    func write(_ method: String, _ path: String, json: SandboxJSON? = nil, token: String? = nil) throws {
        let body = json.map { Array($0.jsonString.utf8) } ?? []
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if json != nil { head += "Content-Type: application/json\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, noSignal) }
            guard n > 0 else { throw SandboxError("send failed: errno \(errno)") }
            sent += n
        }
    }

    /// Reads one answer: until its head and Content-Length body arrived, or the peer closed.
    func receive() throws -> Received {
        var received = Received()
        var buffer = pending
        pending = []
        received.bytes = buffer
        var bodyStart: Int?
        var length: Int?
        while true {
            if bodyStart == nil, let end = Self.headEnd(buffer) {
                bodyStart = end
                parseHead(buffer[..<end], into: &received)
                length = received.headers["content-length"].flatMap { Int($0) }
            }
            if let start = bodyStart, let length, buffer.count >= start + length {
                received.body = Array(buffer[start..<(start + length)])
                pending = Array(buffer[(start + length)...])
                received.bytes = Array(buffer[..<(start + length)])
                received.complete = true
                return received
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 {
                received.eof = true
                return received
            }
            if n < 0 {
                if errno == ECONNRESET {
                    received.reset = true
                    return received
                }
                throw SandboxError("recv failed: errno \(errno)")
            }
            buffer.append(contentsOf: chunk[..<n])
            received.bytes = buffer
        }
    }

    /// Sends a request and reads its answer.
    func exchange(_ method: String, _ path: String, json: SandboxJSON? = nil, token: String? = nil) throws -> Received {
        try write(method, path, json: json, token: token)
        return try receive()
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    private func parseHead(_ head: ArraySlice<UInt8>, into received: inout Received) {
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        if statusParts.count >= 2 { received.status = Int(statusParts[1]) }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            received.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }
}
