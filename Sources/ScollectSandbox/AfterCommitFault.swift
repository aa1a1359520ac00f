import Foundation
import Hummingbird
import HummingbirdCore

/// What a committed write may meet instead of its answer: the shapes a real server, or a proxy in
/// front of it, produces after the database has already taken the write.
///
/// Each shape has a share (0…1) and a SplitMix64 stream of its own, seeded from `fault_seed`:
/// every committed write draws once from every stream, whatever the shares, so a seed names one
/// sequence of decisions for a given order of writes, and turning one shape on does not change
/// which writes the others pick. When more than one stream picks the same write, the first shape
/// in `allCases` order is applied (and only it is counted).
public enum AfterCommitFault: String, CaseIterable, Sendable {
    /// `close_after_commit`: the connection is closed without a single byte of the answer. On a
    /// reused keep-alive connection this is what makes libcurl re-send the request by itself.
    case close = "close_after_commit"
    /// `drop_after_commit`: the head and half the body are sent, then the connection is closed
    /// (see `DropAfterCommit`).
    case drop = "drop_after_commit"
    /// `bad_gateway_after_commit`: HTTP 502 with a proxy's HTML page, as nginx sends when the
    /// application answered too late.
    case badGateway = "bad_gateway_after_commit"
    /// `timeout_after_commit`: HTTP 200 `{"state": "TIMEOUT", "status": "…"}`.
    case timeout = "timeout_after_commit"
    /// `empty_after_commit`: HTTP 200 with an empty body.
    case empty = "empty_after_commit"

    /// The key of its share in `PUT /_sandbox/config` (and in the GET of config and stats).
    public var configKey: String { rawValue }

    /// The key of its count in `GET /_sandbox/stats`.
    public var statsKey: String {
        switch self {
        case .close: return "closed_after_commit"
        case .drop: return "dropped_after_commit"
        case .badGateway: return "injected_502_after_commit"
        case .timeout: return "timed_out_after_commit"
        case .empty: return "empty_answers_after_commit"
        }
    }

    /// Where its share lives in `SandboxFaults`.
    var share: WritableKeyPath<SandboxFaults, Double> {
        switch self {
        case .close: return \.closeAfterCommit
        case .drop: return \.dropAfterCommit
        case .badGateway: return \.badGatewayAfterCommit
        case .timeout: return \.timeoutAfterCommit
        case .empty: return \.emptyAfterCommit
        }
    }

    /// Where its count lives in `SandboxStats`.
    var count: WritableKeyPath<SandboxStats, Int> {
        switch self {
        case .close: return \.closedAfterCommit
        case .drop: return \.droppedAfterCommit
        case .badGateway: return \.injected502AfterCommit
        case .timeout: return \.timedOutAfterCommit
        case .empty: return \.emptyAnswersAfterCommit
        }
    }

    /// Seed of its stream: `drop_after_commit` keeps the plain `fault_seed` (the decisions it made
    /// before the other shapes existed), the others a fixed variation of it.
    func streamSeed(_ faultSeed: UInt64) -> UInt64 {
        switch self {
        case .drop: return faultSeed
        case .close: return faultSeed ^ 0xC105_EAF7_E2C0_0001
        case .badGateway: return faultSeed ^ 0xBAD6_A7E9_A700_0002
        case .timeout: return faultSeed ^ 0x71DE_0D7A_F7E2_0003
        case .empty: return faultSeed ^ 0xE3D7_B0D1_E500_0004
        }
    }

    /// What the client gets instead of `reply` (whose write is committed).
    func answer(instead reply: Reply) -> SandboxAPI.Answer {
        switch self {
        case .close:
            return .closed
        case .drop:
            return .truncated(reply)
        case .badGateway:
            var page = Reply(status: .badGateway, body: Array(Self.badGatewayPage.utf8))
            page.contentType = "text/html"
            return .complete(page.response)
        case .timeout:
            return .complete(Reply.json(["state": "TIMEOUT",
                                         "status": "The request timed out (injected fault after commit)."]).response)
        case .empty:
            return .complete(Reply(body: []).response)
        }
    }

    static let badGatewayPage = """
        <html>\r
        <head><title>502 Bad Gateway</title></head>\r
        <body>\r
        <center><h1>502 Bad Gateway</h1></center>\r
        <hr><center>nginx</center>\r
        </body>\r
        </html>\r

        """
}

/// Thrown out of the responder before any byte of the response is written: Hummingbird then
/// closes the connection (a FIN, after the request was read in full), so the client reads EOF
/// where the status line should be. Used by `close_after_commit`.
struct ConnectionClosedWithoutAnswer: Error {}
