import Foundation

/// Ctrl-C or SIGTERM: take no new rows, finish (and journal) the calls in flight, write the
/// reports, exit 7. A second signal exits at once: the journal already holds every intent.
enum Interruption {
    nonisolated(unsafe) static var requested = false
    static func install() {
        let handler: @convention(c) (Int32) -> Void = { _ in
            if Interruption.requested { _exit(7) }
            Interruption.requested = true
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
