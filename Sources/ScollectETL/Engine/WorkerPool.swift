import Foundation

/// A fixed set of threads, each owning one HTTP transport so its connection is reused from call
/// to call. The number of threads is the pipeline's `max_in_flight`: no more requests than
/// that are ever on the wire. Threads, not async tasks, because libcurl's easy interface blocks.
final class WorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var job: ((Int, any HTTPTransport) -> Void)?
    private var taskCount = 0
    private var nextTask = 0
    private var finishedTasks = 0
    private var generation = 0
    private var shuttingDown = false
    private var threads: [Thread] = []

    init(size: Int, timeoutSeconds: Double,
         makeTransport: @escaping @Sendable (Double) -> any HTTPTransport = { CurlHTTPClient(timeoutSeconds: $0) }) {
        for index in 0..<size {
            // Strong: a pool shut down and released before a thread got to run (a run that
            // stops at login) must still be there for it; each thread ends at shutdown().
            let thread = Thread {
                let http = makeTransport(timeoutSeconds)
                self.workLoop(http)
            }
            thread.name = "scollect-worker-\(index)"
            thread.stackSize = 1 << 20
            threads.append(thread)
            thread.start()
        }
    }

    /// Runs `body(taskIndex, http)` for every task index in `0..<count`, spread over the
    /// threads; returns when all are done.
    func run(tasks count: Int, _ body: @escaping (Int, any HTTPTransport) -> Void) {
        guard count > 0 else { return }
        condition.lock()
        job = body
        taskCount = count
        nextTask = 0
        finishedTasks = 0
        generation += 1
        condition.broadcast()
        while finishedTasks < taskCount { condition.wait() }
        job = nil
        condition.unlock()
    }

    func shutdown() {
        condition.lock()
        shuttingDown = true
        condition.broadcast()
        condition.unlock()
    }

    private func workLoop(_ http: any HTTPTransport) {
        condition.lock()
        while true {
            while !shuttingDown && (job == nil || nextTask >= taskCount) { condition.wait() }
            if shuttingDown { condition.unlock(); return }
            let task = nextTask
            nextTask += 1
            let body = job!
            condition.unlock()
            body(task, http)
            condition.lock()
            finishedTasks += 1
            if finishedTasks == taskCount { condition.broadcast() }
        }
    }
}
