import Foundation
import Testing
@testable import ScollectETL
import ScollectTestSupport

/// libcurl's own HTTP layer silently sends a request again when a kept-alive connection closes
/// before any byte of the answer; the transport writes its requests itself over libcurl's
/// connections, so against a server that does exactly that (commits, then closes) every request
/// leaves once. The answers' framings a server may use are each read here from a real socket.
@Suite struct CurlHTTPClientTests {
    /// A loopback HTTP/1.1 server: `/hello` is answered and kept alive; a path of `scripted` gets
    /// those bytes (and its connection closed when the script says so); any other path is read
    /// whole, counted, and its connection closed without a byte.
    final class ClosingServer: @unchecked Sendable {
        var port: Int { listener.port }
        private var listener: LoopbackListener!
        private let lock = NSLock()
        private var counts: [String: Int] = [:]
        /// Path → the answer's bytes, and whether the connection closes after them.
        let scripted: [String: (answer: [UInt8], close: Bool)]

        init(scripted: [String: (answer: [UInt8], close: Bool)] = [:]) throws {
            self.scripted = scripted
            listener = try LoopbackListener(serve: { [self] in serve($0) }, onAccept: { [self] in
                lock.lock()
                counts["connections", default: 0] += 1
                lock.unlock()
            })
        }

        func count(_ path: String) -> Int { lock.lock(); defer { lock.unlock() }; return counts[path, default: 0] }

        func stop() { listener.stop() }

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
                if let script = scripted[path] {
                    _ = script.answer.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, 0) }
                    if script.close { return }
                    continue
                }
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

    /// libcurl's HTTP layer sent this one twice (the fault was real: the old test saw 2). Now a
    /// request safe to repeat leaves once too, and the caller decides whether to send it again
    /// (`CallSender`: as an attempt of its own, in the audit).
    @Test func aRequestThatMayRepeatAlsoLeavesOnceAndTheLostAnswerIsReported() throws {
        let server = try ClosingServer()
        defer { server.stop() }
        let error = post("/updatedbase", mayRepeat: true, server: server, client: CurlHTTPClient(timeoutSeconds: 5))
        #expect(server.count("/updatedbase") == 1)
        #expect(error?.requestMayHaveBeenSent == true)
        #expect(error?.message.contains("(curl 52)") == true, "\(String(describing: error))")
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A chunked body (with a chunk extension and a trailer), a body that ends when the server
    /// closes, and an interim `100 Continue` before the answer, each from the socket; the
    /// connection is kept only where the answer allows it.
    @Test func everyFramingOfAnAnswerIsRead() throws {
        let server = try ClosingServer(scripted: [
            "/chunked": (Self.bytes("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                                    + "4;ext=1\r\n{\"a\"\r\n8\r\n: \"b\u{e9}\"}\r\n0\r\nX-Trailer: t\r\n\r\n"), false),
            "/continue": (Self.bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nabc"), false),
            "/untilclose": (Self.bytes("HTTP/1.0 200 OK\r\nRetry-After: 3\r\n\r\nthe rest of the stream"), true),
        ])
        defer { server.stop() }
        let client = CurlHTTPClient(timeoutSeconds: 5)
        let url = "http://127.0.0.1:\(server.port)"
        let chunked = try client.perform(HTTPRequest(method: "GET", url: url + "/chunked"))
        #expect(chunked.status == 200)
        #expect(String(decoding: chunked.body, as: UTF8.self) == "{\"a\": \"b\u{e9}\"}")
        #expect(chunked.headers["content-type"] == "application/json")
        let interim = try client.perform(HTTPRequest(method: "POST", url: url + "/continue", body: Self.bytes("{}")))
        #expect(interim.status == 201 && interim.body == Data("abc".utf8))
        #expect(server.count("connections") == 1, "both answers were framed: the connection was kept")
        let untilClose = try client.perform(HTTPRequest(method: "GET", url: url + "/untilclose"))
        #expect(untilClose.status == 200 && untilClose.body == Data("the rest of the stream".utf8))
        #expect(untilClose.headers["retry-after"] == "3")
        #expect(try client.perform(HTTPRequest(method: "GET", url: url + "/hello")).status == 200)
        #expect(server.count("connections") == 2, "an answer ended by the close is not followed on its connection")
    }

    /// Half a body, then the close: the answer is lost, and the request may have been acted on.
    @Test func anAnswerCutShortIsATransportErrorThatMayHaveBeenSent() throws {
        let server = try ClosingServer(scripted: [
            "/half": (Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"state\": \"SUC"), true),
            "/weird": (Self.bytes("SMTP ready\r\n\r\n"), true),
        ])
        defer { server.stop() }
        let client = CurlHTTPClient(timeoutSeconds: 5)
        for path in ["/half", "/weird"] {
            let error = #expect(throws: TransportError.self) {
                try client.perform(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(server.port)\(path)", body: Self.bytes("{}"), mayRepeat: false))
            }
            #expect(error?.requestMayHaveBeenSent == true, "\(path): \(String(describing: error))")
            #expect(server.count(path) == 1)
        }
    }

    /// A server that closes a kept-alive connection while it is idle: the next request finds it
    /// closed before it leaves, goes on a new connection, and is answered; nothing is lost or sent twice.
    @Test func aKeptConnectionTheServerClosedIsReplacedBeforeTheRequestLeaves() throws {
        let server = try ClosingServer(scripted: [
            "/last": (Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"), true), // answered, then closed: no Connection: close said
        ])
        defer { server.stop() }
        let client = CurlHTTPClient(timeoutSeconds: 5)
        #expect(try client.perform(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/last")).status == 200)
        Thread.sleep(forTimeInterval: 0.2) // the close reaches this side
        let insert = HTTPRequest(method: "POST", url: "http://127.0.0.1:\(server.port)/hello", body: Self.bytes("{}"), mayRepeat: false)
        #expect(try client.perform(insert).status == 200)
        #expect(server.count("/hello") == 1)
        #expect(server.count("connections") == 2)
    }

    /// A header value holding a line break (a token a hostile server handed out) is refused
    /// before anything leaves: it cannot add headers or a second request.
    @Test func aHeaderWithALineBreakIsRefusedBeforeAnythingLeaves() throws {
        let server = try ClosingServer()
        defer { server.stop() }
        let request = HTTPRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/hello",
                                  headers: [("Authorization", "Bearer x\r\n\r\nPOST /insertphone HTTP/1.1")])
        let error = #expect(throws: TransportError.self) { try CurlHTTPClient(timeoutSeconds: 5).perform(request) }
        #expect(error?.requestMayHaveBeenSent == false)
        #expect(server.count("connections") == 0 && server.count("/hello") == 0 && server.count("/insertphone") == 0)
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

    /// A request's line and connection from its URL: any case of scheme, a query without a
    /// path, no fragment; anything else is refused before a connection is opened.
    @Test func aURLGivesItsOriginHostAndRequestTarget() throws {
        let target = try RequestTarget("HTTPS://api.example.com:8443?a=1#frag")
        #expect(target.origin == "HTTPS://api.example.com:8443" && target.authority == "api.example.com:8443" && target.pathAndQuery == "/?a=1")
        #expect(try RequestTarget("http://127.0.0.1:9/getaccount/R%201001").pathAndQuery == "/getaccount/R%201001")
        for bad in ["ftp://example.com/x", "mailto:a://b", "http://example.com/a b", "http://user@example.com/", "example.com/x", "http:///x"] {
            let error = #expect(throws: TransportError.self, "\(bad)") { try RequestTarget(bad) }
            #expect(error?.requestMayHaveBeenSent == false)
        }
    }
}
