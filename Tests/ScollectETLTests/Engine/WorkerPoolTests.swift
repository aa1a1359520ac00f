import Foundation
@testable import ScollectETL
import Testing

struct WorkerPoolTests {
    /// A run that stops at login shuts its pool down and drops it at once, often before the
    /// pool's threads have started: they must not find it gone (this crashed the test process).
    @Test func aPoolDroppedBeforeItsThreadsStartIsNotACrash() {
        for _ in 0..<300 {
            let pool = WorkerPool(size: 4, timeoutSeconds: 1)
            pool.shutdown()
        }
    }

    @Test func everyTaskRunsOnce() {
        let pool = WorkerPool(size: 3, timeoutSeconds: 1)
        defer { pool.shutdown() }
        let lock = NSLock()
        var seen: [Int] = []
        pool.run(tasks: 50) { task, _ in lock.lock(); seen.append(task); lock.unlock() }
        #expect(seen.sorted() == Array(0..<50))
    }
}
