import Foundation
import ScollectTestSupport

/// A loopback HTTP proxy that only tunnels: it answers `CONNECT host:port` with 200 and relays
/// bytes both ways; any other first line (a request in origin or absolute form) is recorded and
/// refused with 400, as a strict proxy refuses what it cannot route.
final class ConnectProxy: @unchecked Sendable {
    var port: Int { listener.port }
    private var listener: LoopbackListener!
    private let lock = NSLock()
    private var lines: [String] = []

    /// The first line of each connection made to the proxy.
    var firstLines: [String] { lock.lock(); defer { lock.unlock() }; return lines }

    init() throws {
        listener = try LoopbackListener(serve: { [self] in serve($0) })
    }

    func stop() { listener.stop() }

    private func serve(_ client: Int32) {
        var head: [UInt8] = []
        var byte: UInt8 = 0
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]), head.count < 8192, recv(client, &byte, 1, 0) == 1 { head.append(byte) }
        let line = String(decoding: head.prefix { $0 != 13 }, as: UTF8.self)
        lock.lock()
        lines.append(line)
        lock.unlock()
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[0] == "CONNECT", let colon = parts[1].lastIndex(of: ":"), let port = UInt16(parts[1][parts[1].index(after: colon)...]) else {
            _ = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".withCString { send(client, $0, strlen($0), 0) }
            close(client)
            return
        }
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(String(parts[1][..<colon]))
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { close(client); close(server); return }
        _ = "HTTP/1.1 200 Connection established\r\n\r\n".withCString { send(client, $0, strlen($0), 0) }
        Thread { Self.relay(from: server, to: client) }.start()
        Self.relay(from: client, to: server)
    }

    private static func relay(from source: Int32, to target: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = recv(source, &buffer, buffer.count, 0)
            if n <= 0 || send(target, buffer, n, Int32(MSG_NOSIGNAL)) != n { break }
        }
        shutdown(target, Int32(SHUT_WR))
        shutdown(source, Int32(SHUT_RD))
    }
}
