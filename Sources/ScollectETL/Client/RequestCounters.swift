import Foundation

/// Requests, 429 answers and retries, counted by the client as it sees them. Thread-safe: every
/// worker's calls go through the one client.
public final class RequestCounters: @unchecked Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// HTTP requests sent (each retry is one more).
        public var requests = 0
        /// Answers that were 429 Too Many Requests.
        public var rateLimited = 0
        /// Requests that were a repeat of an earlier, failed attempt of the same call.
        public var retries = 0
        public init() {}
    }

    private let lock = NSLock()
    private var counts = Snapshot()

    public init() {}

    public var snapshot: Snapshot { lock.lock(); defer { lock.unlock() }; return counts }

    func requestSent() { lock.lock(); counts.requests += 1; lock.unlock() }
    func rateLimitedAnswer() { lock.lock(); counts.rateLimited += 1; lock.unlock() }
    func retry() { lock.lock(); counts.retries += 1; lock.unlock() }
}
