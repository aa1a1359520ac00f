import Foundation
import Hummingbird
import HummingbirdCore

/// The fault `drop_after_commit`: a write is committed, then its connection dies mid-response.
///
/// This is the case a client cannot tell from "never arrived" by looking at the transport: it
/// must find out from the server (read back, or a journal) whether to send the write again.
/// Each committed write draws the next number of a SplitMix64 stream seeded with `fault_seed`,
/// and is dropped when the draw is below the share; the stream advances whatever the share, so a
/// seed names one sequence of decisions for a given order of writes. One of the
/// `AfterCommitFault`s; `close_after_commit` is its sibling that sends nothing at all.
enum DropAfterCommit {
    /// Thrown out of the responder to make Hummingbird close the connection.
    struct ConnectionDropped: Error {}

    /// Sends the head (with the full Content-Length) and the first half of the body, then throws so
    /// the channel closes: the client sees a truncated response, a transport error. Always throws.
    ///
    /// Sending the head first is what makes this shape differ from `close_after_commit`: an HTTP
    /// client that reuses a keep-alive connection retries a request silently when the connection
    /// closes before any byte of the answer (libcurl, behind URLSession on Linux, does), which turns
    /// a committed write into a duplicate. Here the client sees a transport error instead;
    /// `close_after_commit` produces the silent re-send.
    static func writeTruncated(_ reply: Reply, to writer: consuming ResponseWriter) async throws {
        var head = HTTPResponse(status: reply.status)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(reply.body.count)
        var bodyWriter = try await writer.writeHead(head)
        try await bodyWriter.write(ByteBuffer(bytes: reply.body.prefix(reply.body.count / 2)))
        throw ConnectionDropped()
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny PRNG whose stream is fixed by its seed.
/// Public for tests that want a replayable random sequence.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) from the top 53 bits: below 1.0 always, below 0.0 never.
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
