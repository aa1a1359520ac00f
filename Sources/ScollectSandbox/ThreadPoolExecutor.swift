import Foundation

/// A task executor on threads of its own.
///
/// `SandboxServer.start` is synchronous and may be called from inside Swift Concurrency (a test's
/// `async` function) where it blocks a cooperative thread until the port is bound. The server's
/// tasks therefore must not need the cooperative pool (two such callers on a 2-core machine
/// would otherwise deadlock): they prefer this executor, whose threads nothing else blocks.
/// One executor serves every server of the process; its threads live as long as the process.
final class ThreadPoolExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = ThreadPoolExecutor(
        name: "scollect-sandbox", threadCount: max(2, ProcessInfo.processInfo.activeProcessorCount))

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var threads: [Thread] = []

    init(name: String, threadCount: Int) {
        for i in 0..<max(1, threadCount) {
            let thread = Thread { [self] in self.workerLoop() }
            thread.name = "\(name)-\(i)"
            threads.append(thread)
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    private func workerLoop() {
        let executor = asUnownedTaskExecutor()
        while true {
            condition.lock()
            while head >= jobs.count {
                condition.wait()
            }
            let job = jobs[head]
            head += 1
            if head > 1024 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: executor)
        }
    }
}
