import Foundation
@testable import ScollectETL
import Testing

/// State shared between worker threads and a signal handler. The data races these guard
/// against show under the thread sanitizer (`swift test --sanitize=thread --filter RunStateTests`);
/// here, the behaviour they must keep.
@Suite(.serialized)
struct RunStateTests {
    @Test func theFirstStopWinsWhileWorkersReadIt() {
        let state = RunState()
        let seen = NSLock()
        var observed: [String] = []
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            if worker % 2 == 0 {
                state.stop(.apiUnavailable, "stop \(worker)")
            }
            for _ in 0..<1000 {
                if let fatal = state.fatal {
                    seen.lock()
                    observed.append(fatal.1)
                    seen.unlock()
                }
            }
        }
        let first = state.fatal?.1
        #expect(first != nil)
        #expect(Set(observed) == [first!], "every reader saw the one stop that won, never a torn or later one")
        state.stop(.rejectLimit, "later")
        #expect(state.fatal?.0 == .apiUnavailable && state.fatal?.1 == first)
    }

    @Test func aSignalSetsTheInterruptionFlagThatWorkersRead() throws {
        Interruption.reset()
        defer { Interruption.reset() }
        Interruption.install()
        #expect(!Interruption.requested)
        kill(getpid(), SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while !Interruption.requested && Date() < deadline { usleep(1000) }
        #expect(Interruption.requested)
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
    }
}
