import Foundation
import Synchronization

/// Ctrl-C or SIGTERM: take no new rows, finish (and journal) the calls in flight, write the
/// reports, exit 7. A second signal exits at once: the journal already holds every intent.
///
/// The flag is set by the signal handler and read by the workers: a lock-free atomic (a lock
/// may not be taken in a signal handler, and a plain Bool read across threads is a data race).
public enum Interruption {
    private static let flag = Atomic<Bool>(false)

    public static var requested: Bool { flag.load(ordering: .acquiring) }

    /// Sets the flag; true when it was already set (a second signal).
    @discardableResult
    static func request() -> Bool { flag.exchange(true, ordering: .acquiringAndReleasing) }

    /// For tests.
    static func reset() { flag.store(false, ordering: .releasing) }

    public static func install() {
        _ = requested // the static is initialised here, never first in the handler
        let handler: @convention(c) (Int32) -> Void = { _ in
            if Interruption.request() { _exit(7) }
            let notice = "\ninterrupted: finishing the calls in flight, then writing the reports (again to quit at once)\n"
            _ = notice.withCString { write(2, $0, strlen($0)) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        // A parent (a test runner, some schedulers) may have left these blocked; threads
        // started from here on inherit this mask.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
