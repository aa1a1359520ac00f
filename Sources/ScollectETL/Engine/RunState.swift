import Foundation

/// Shared between the worker threads of a run (load and export alike): the failure that
/// stops the run, and counts of failed and planned calls.
final class RunState: @unchecked Sendable {
    /// Whether the API is down, over a window of time (every answer is reported to it).
    let health: APIHealth
    private let lock = NSLock()
    private var stopReason: (ExitCode, String)?
    private var failed = 0
    private var planned: [String: Int] = [:]

    init(health: APIHealth = APIHealth()) { self.health = health }

    /// The exit code and reason the run stops with, once something has stopped it.
    var fatal: (ExitCode, String)? { lock.lock(); defer { lock.unlock() }; return stopReason }
    var failedCalls: Int { lock.lock(); defer { lock.unlock() }; return failed }
    var plannedWrites: [String: Int] { lock.lock(); defer { lock.unlock() }; return planned }
    func plan(_ endpoint: String) { lock.lock(); planned[endpoint, default: 0] += 1; lock.unlock() }
    func callFailed() { lock.lock(); failed += 1; lock.unlock() }
    func stop(_ code: ExitCode, _ reason: String) {
        lock.lock()
        if stopReason == nil { stopReason = (code, reason) }
        lock.unlock()
    }

    /// A call that failed for lack of an answer after its retries counts against the API's
    /// health; when the API is down over the window (`APIHealth`) the run stops after this
    /// batch rather than reject the rest of the file one row at a time. One such call while the
    /// API otherwise answers is that row's problem (rejected as retryable). A 429 never counts,
    /// nor a write that is never re-sent blindly (an insert whose answer was lost): it failed
    /// once, which says nothing of the API. Load and export runs alike.
    func noteUnavailability(_ result: APIResult) {
        guard result.attempts > 1 || result.tooManyRequestsOrRefusedConnection else { return }
        switch result.classification {
        case .transportError, .httpError(500..., _):
            health.callEnded(failed: true)
            if let why = health.downBecause {
                stop(.apiUnavailable, "API unavailable: \(why); the last after \(result.attempts) attempts: \(result.classification.message ?? "")")
            }
        default:
            break
        }
    }

    /// A call failed: counted, and judged for whether the API is down.
    func failed(_ result: APIResult) {
        callFailed()
        noteUnavailability(result)
    }
}
