import Foundation
import Testing
@testable import ScollectETL

/// libcurl silently sends a request again when a kept-alive connection closes before any byte
/// of the answer. Against a server that does exactly that (commits, then closes), an insert
/// must leave once; a request that may repeat shows the re-send is real.
@Suite struct CurlHTTPClientTests {
    /// A loopback HTTP/1.1 server: `/hello` is answered and kept alive; any other path is read
    /// whole, counted, and its connection closed without a byte.
    final class ClosingServer: @unchecked Sendable {
        let port: Int
        private let listener: Int32
        private let lock = NSLock()
        private var counts: [String: Int] = [:]

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            guard bound == 0, listen(fd, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            listener = fd
            port = Int(UInt16(bigEndian: address.sin_port))
            let thread = Thread { [self] in acceptLoop() }
            thread.start()
        }

        func count(_ path: String) -> Int { lock.lock(); defer { lock.unlock() }; return counts[path, default: 0] }

        func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

        private func acceptLoop() {
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                lock.lock()
                counts["connections", default: 0] += 1
                lock.unlock()
                Thread { [self] in serve(connection) }.start()
            }
        }

        private func serve(_ connection: Int32) {
            defer { close(connection) }
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                // One whole request: the head, then Content-Length bytes of body.
                var headEnd: Int?
                while headEnd == nil {
                    if let end = Self.find([13, 10, 13, 10], in: pending) { headEnd = end; break }
                    let n = recv(connection, &buffer, buffer.count, 0)
                    if n <= 0 { return }
                    pending += buffer[0..<n]
                }
                let head = String(decoding: pending[0..<headEnd!], as: UTF8.self)
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                while pending.count < headEnd! + 4 + length {
                    let n = recv(connection, &buffer, buffer.count, 0)
                    if n <= 0 { return }
                    pending += buffer[0..<n]
                }
                pending.removeFirst(headEnd! + 4 + length)
                let path = String(head.split(separator: " ")[1])
                lock.lock()
                counts[path, default: 0] += 1
                lock.unlock()
                guard path == "/hello" else { return } // committed; closed without a byte
                let answer = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Wed, 02 Dec 2026 16:00:00 GMT\r\nRETRY-after:  7 \r\nX-Other: y\r\nContent-Length: 2\r\n\r\n{}".utf8)
                _ = answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, 0) }
            }
        }

        static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
            guard haystack.count >= needle.count else { return nil }
            for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle { return i }
            return nil
        }
    }

    func post(_ path: String, mayRepeat: Bool, server: ClosingServer, client: CurlHTTPClient) -> TransportError? {
        let hello = try? client.perform(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/hello"))
        #expect(hello?.status == 200)
        do {
            _ = try client.perform(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(server.port)\(path)", headers: [("Content-Type", "application/json")],
                                               body: Array(#"{"filenumber": "R1001", "phone": "2055550101"}"#.utf8), mayRepeat: mayRepeat))
            Issue.record("the server closed without answering: a transport error was expected")
            return nil
        } catch let error as TransportError {
            return error
        } catch {
            Issue.record("\(error)")
            return nil
        }
    }

    @Test func aRequestThatMustNotRepeatLeavesOnceWhenTheConnectionClosesAfterIt() throws {
        let server = try ClosingServer()
        defer { server.stop() }
        let error = post("/insertphone", mayRepeat: false, server: server, client: CurlHTTPClient(timeoutSeconds: 5))
        #expect(server.count("/insertphone") == 1)
        #expect(error?.requestMayHaveBeenSent == true)
    }

    /// The fault is real: the same request, allowed to repeat, reaches the server twice.
    @Test func libcurlSendsARepeatableRequestAgainOnAFreshConnection() throws {
        let server = try ClosingServer()
        defer { server.stop() }
        let error = post("/updatedbase", mayRepeat: true, server: server, client: CurlHTTPClient(timeoutSeconds: 5))
        #expect(server.count("/updatedbase") == 2)
        #expect(error?.requestMayHaveBeenSent == true)
    }

    /// Only the headers something reads are kept, found whatever their case.
    @Test func theAnswerKeepsTheHeadersThatAreRead() throws {
        let server = try ClosingServer()
        defer { server.stop() }
        let response = try CurlHTTPClient(timeoutSeconds: 5).perform(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/hello"))
        #expect(response.headers == ["content-type": "application/json", "retry-after": "7", "content-length": "2"])
    }

    @Test func aRequestThatMustNotRepeatStillReusesTheConnectionWhenAnswered() throws {
        let server = try ClosingServer()
        defer { server.stop() }
        let client = CurlHTTPClient(timeoutSeconds: 5)
        for _ in 0..<3 {
            let response = try client.perform(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/hello",
                                                          body: Array("{}".utf8), mayRepeat: false))
            #expect(response.status == 200)
        }
        #expect(server.count("/hello") == 3)
        #expect(server.count("connections") == 1)
    }
}
