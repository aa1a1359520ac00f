import CCurl
import Foundation

/// One HTTP/1.1 answer read from a `CurlConnection`: the status line, the headers something reads
/// (`CurlHTTPClient.keptHeaders`), and the body framed by `Content-Length`, chunked transfer
/// coding, or the connection's close (RFC 9112 §6.3). Interim answers (`100 Continue`) are
/// skipped. Every failure here comes after the request left: it may have been acted on.
struct HTTP1Answer {
    var status = 0
    var headers: [String: String] = [:]
    /// Whether the connection may carry the next request.
    var keepAlive = true

    /// Where the body goes: memory, or a file (a listing of a whole portfolio).
    struct Body {
        var data = Data()
        let spool: Int32

        mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
            guard spool >= 0 else {
                data.append(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count)
                return
            }
            var written = 0
            while written < bytes.count {
                let n = write(spool, bytes.baseAddress! + written, bytes.count - written)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw CurlConnection.error(CURLE_WRITE_ERROR, maySent: true, detail: String(cString: strerror(errno))) }
                written += n
            }
        }
    }

    /// An answer's head longer than this is not an answer this tool reads.
    static let maxHeadBytes = 64 * 1024

    /// Reads one whole answer to a `method` request; the body goes to `body`.
    static func read(from connection: CurlConnection, method: String, deadline: Double, body: inout Body) throws -> HTTP1Answer {
        var answer = HTTP1Answer()
        var framing: Framing
        repeat {
            (answer, framing) = try readHead(from: connection, deadline: deadline)
        } while answer.status >= 100 && answer.status < 200 && answer.status != 101 // interim: the real answer follows
        if method == "HEAD" || answer.status < 200 || answer.status == 204 || answer.status == 304 { framing = .length(0) }
        switch framing {
        case let .length(count): try readBody(count, from: connection, deadline: deadline, into: &body)
        case .chunked: try readChunks(from: connection, deadline: deadline, into: &body)
        case .untilClose:
            answer.keepAlive = false
            while true {
                let available = connection.end - connection.start
                if available > 0 {
                    try connection.buffer.withUnsafeBytes { try body.append(UnsafeRawBufferPointer(rebasing: $0[connection.start..<connection.end])) }
                    connection.consume(available)
                }
                if try connection.fill(deadline: deadline) == 0 { break }
            }
        }
        return answer
    }

    enum Framing: Equatable {
        case length(Int), chunked, untilClose
    }

    /// The status line and headers, consumed from the connection.
    private static func readHead(from connection: CurlConnection, deadline: Double) throws -> (HTTP1Answer, Framing) {
        var searched = 0
        while true {
            let found: Int? = connection.buffer.withUnsafeBufferPointer { all in
                let from = connection.start + searched
                guard connection.end - from >= 4 else { return nil }
                for i in from...(connection.end - 4) where all[i] == 13 && all[i + 1] == 10 && all[i + 2] == 13 && all[i + 3] == 10 {
                    return i
                }
                return nil
            }
            if let headEnd = found {
                let parsed = try connection.buffer.withUnsafeBufferPointer { all in
                    try parseHead(UnsafeBufferPointer(rebasing: all[connection.start..<headEnd]))
                }
                connection.consume(headEnd + 4 - connection.start)
                return parsed
            }
            let buffered = connection.end - connection.start
            guard buffered <= maxHeadBytes else { throw weird("an answer's head longer than \(maxHeadBytes) bytes") }
            searched = max(0, buffered - 3)
            if try connection.fill(deadline: deadline) == 0 {
                // The server closed the connection: after our request, with no answer or half a head.
                throw buffered == 0
                    ? CurlConnection.error(CURLE_GOT_NOTHING, maySent: true)
                    : CurlConnection.error(CURLE_PARTIAL_FILE, maySent: true, detail: "the connection closed inside the answer's head")
            }
        }
    }

    /// `HTTP/1.x NNN reason`, then `name: value` lines (without the blank line that ends them).
    static func parseHead(_ head: UnsafeBufferPointer<UInt8>) throws -> (HTTP1Answer, Framing) {
        var answer = HTTP1Answer()
        var lines = head.split(separator: 10, omittingEmptySubsequences: false).makeIterator()
        guard let statusLine = lines.next(), statusLine.count >= 12,
              statusLine.starts(with: "HTTP/1.".utf8), statusLine[statusLine.startIndex + 8] == 0x20,
              case let digits = statusLine[(statusLine.startIndex + 9)..<(statusLine.startIndex + 12)],
              digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw weird("not an HTTP/1.x status line")
        }
        answer.status = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        let http10 = statusLine[statusLine.startIndex + 7] == UInt8(ascii: "0")
        answer.keepAlive = !http10
        var contentLength: Int?
        var chunked = false
        for line in lines {
            let line = UnsafeBufferPointer(rebasing: line)
            if CurlHTTPClient.isKept(line), let (name, value) = CurlHTTPClient.headerField(line) {
                if name == "content-length" {
                    guard let length = Int(value), length >= 0, contentLength == nil || contentLength == length else {
                        throw weird("Content-Length \"\(value)\"")
                    }
                    contentLength = length
                }
                answer.headers[name] = value
            } else if hasName(line, "transfer-encoding"), let (_, value) = CurlHTTPClient.headerField(line) {
                chunked = value.lowercasedIfNeeded().split(separator: ",").last?.trimmingSpaces() == "chunked"
            } else if hasName(line, "connection"), let (_, value) = CurlHTTPClient.headerField(line) {
                let tokens = value.lowercasedIfNeeded().split(separator: ",").map { $0.trimmingSpaces() }
                if tokens.contains("close") { answer.keepAlive = false } else if http10 && tokens.contains("keep-alive") { answer.keepAlive = true }
            }
        }
        // Chunked wins over a Content-Length (RFC 9112 §6.3); neither: the body ends at the close.
        let framing: Framing = chunked ? .chunked : contentLength.map(Framing.length) ?? .untilClose
        return (answer, framing)
    }

    private static func hasName(_ line: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        guard line.count > count, line[count] == UInt8(ascii: ":") else { return false }
        let lower = name.utf8Start
        for i in 0..<count {
            let b = line[i]
            if (b >= 65 && b <= 90 ? b + 32 : b) != lower[i] { return false }
        }
        return true
    }

    /// `count` bytes of body.
    private static func readBody(_ count: Int, from connection: CurlConnection, deadline: Double, into body: inout Body) throws {
        if body.spool < 0 { body.data.reserveCapacity(count) }
        var left = count
        while left > 0 {
            if connection.end == connection.start, try connection.fill(deadline: deadline) == 0 {
                throw CurlConnection.error(CURLE_PARTIAL_FILE, maySent: true, detail: "\(left) of \(count) bytes of the answer's body never came")
            }
            let take = min(left, connection.end - connection.start)
            try connection.buffer.withUnsafeBytes { try body.append(UnsafeRawBufferPointer(rebasing: $0[connection.start..<(connection.start + take)])) }
            connection.consume(take)
            left -= take
        }
    }

    /// A chunked body: `size-in-hex[;extension]` CRLF, the bytes, CRLF, …, `0` CRLF, trailers, CRLF.
    private static func readChunks(from connection: CurlConnection, deadline: Double, into body: inout Body) throws {
        while true {
            let sizeLine = try line(from: connection, deadline: deadline)
            let hex = sizeLine.prefix { $0 != UInt8(ascii: ";") }.filter { $0 != 0x20 && $0 != 0x09 }
            guard !hex.isEmpty, hex.count <= 15, let size = Int(String(decoding: hex, as: UTF8.self), radix: 16) else {
                throw weird("a chunk size line \"\(String(decoding: sizeLine.prefix(40), as: UTF8.self))\"")
            }
            if size == 0 {
                while try !line(from: connection, deadline: deadline).isEmpty {} // trailers, up to the blank line
                return
            }
            try readBody(size, from: connection, deadline: deadline, into: &body)
            guard try line(from: connection, deadline: deadline).isEmpty else { throw weird("a chunk longer than its size") }
        }
    }

    /// One line (without its CR LF), consumed.
    private static func line(from connection: CurlConnection, deadline: Double) throws -> [UInt8] {
        var searched = 0
        while true {
            let found: [UInt8]? = connection.buffer.withUnsafeBufferPointer { all in
                for i in (connection.start + searched)..<connection.end where all[i] == 10 {
                    let stop = i > connection.start && all[i - 1] == 13 ? i - 1 : i
                    let text = Array(all[connection.start..<stop])
                    connection.consume(i + 1 - connection.start)
                    return text
                }
                return nil
            }
            if let found { return found }
            searched = connection.end - connection.start
            guard searched <= 4096 else { throw weird("a chunk line longer than 4096 bytes") }
            if try connection.fill(deadline: deadline) == 0 {
                throw CurlConnection.error(CURLE_PARTIAL_FILE, maySent: true, detail: "the connection closed inside a chunked body")
            }
        }
    }

    private static func weird(_ detail: String) -> TransportError {
        CurlConnection.error(CURLE_WEIRD_SERVER_REPLY, maySent: true, detail: detail)
    }
}
