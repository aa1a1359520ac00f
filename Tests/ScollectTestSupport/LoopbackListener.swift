import Foundation

/// A TCP listener on 127.0.0.1 (a free port) whose accepting thread hands each connection to
/// `serve` on a thread of its own. `stop()` only shuts the listener down; the accepting thread
/// closes it once `accept` fails: closed in `stop()`, its descriptor number could become another
/// test's listener before that thread first called `accept`, and take that test's connections.
public final class LoopbackListener: @unchecked Sendable {
    public let port: Int
    private let listener: Int32

    public init(serve: @escaping @Sendable (Int32) -> Void, onAccept: @escaping @Sendable () -> Void = {}) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw CocoaError(.fileWriteUnknown) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread {
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { close(fd); return }
                onAccept()
                Thread { serve(connection) }.start()
            }
        }.start()
    }

    public func stop() { shutdown(listener, Int32(SHUT_RDWR)) }
}
