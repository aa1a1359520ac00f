import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A local server speaking the documented Scollect API over HTTP, its state in a SQLite file.
///
/// ```swift
/// let server = try SandboxServer.start(SandboxConfiguration(databasePath: "/tmp/s.sqlite"))
/// // POST \(server.baseURL)/login {"apikey": "sandbox-apikey", "pin": "C2C"} …
/// server.stop()
/// ```
public final class SandboxServer: @unchecked Sendable {
    /// The bound port (the real one when the configuration asked for 0).
    public let port: Int
    public let host: String
    public let configuration: SandboxConfiguration
    /// The database, for looking at what the API stored.
    public let store: SandboxStore

    let api: SandboxAPI
    private let runTask: Task<Void, Never>
    private let group: ServiceGroup
    private let state: RunState

    public var baseURL: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "http://\(h == "0.0.0.0" ? "127.0.0.1" : h):\(port)"
    }

    /// Opens (creating and seeding if new) the database and starts listening; returns once the port is bound.
    /// Synchronous on purpose: the engine that embeds it is thread-based, not async.
    public static func start(_ configuration: SandboxConfiguration) throws -> SandboxServer {
        let store = try SandboxStore.open(path: configuration.databasePath, seedFiles: configuration.seedFiles)
        let traffic = SandboxTraffic(faults: SandboxFaults(rateLimit: configuration.rateLimit,
                                                           tokenTTL: configuration.tokenTTL))
        let api = SandboxAPI(store: store, traffic: traffic, apikey: configuration.apikey, pin: configuration.pin)
        let state = RunState()

        var logger = Logger(label: "scollect-sandbox")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            ?? .warning
        let app = Application(
            responder: SandboxResponder(api: api),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                 serverName: "scollect-sandbox"),
            onServerRunning: { channel in
                state.started(port: channel.localAddress?.port ?? -1)
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let body: @Sendable () async -> Void = {
            do {
                try await group.run()
                state.finished(error: nil)
            } catch {
                state.finished(error: error)
            }
        }
        let task: Task<Void, Never>
        if #available(macOS 15.0, iOS 18.0, *) {
            task = Task(executorPreference: ThreadPoolExecutor.shared, operation: body)
        } else {
            task = Task(operation: body)
        }
        switch state.waitForStart(timeout: 60) {
        case .running(let port):
            return SandboxServer(configuration: configuration, port: port, store: store, api: api,
                                 task: task, group: group, state: state)
        case .failed(let error):
            store.close()
            throw SandboxError("sandbox could not listen on \(configuration.host):\(configuration.port): \(error)")
        case .timedOut:
            task.cancel()
            store.close()
            throw SandboxError("sandbox did not start listening on \(configuration.host):\(configuration.port)")
        }
    }

    private init(configuration: SandboxConfiguration, port: Int, store: SandboxStore, api: SandboxAPI,
                 task: Task<Void, Never>, group: ServiceGroup, state: RunState) {
        self.group = group
        self.configuration = configuration
        self.host = configuration.host
        self.port = port
        self.store = store
        self.api = api
        self.runTask = task
        self.state = state
    }

    /// Stops listening (open connections finish their request) and closes the database.
    /// Blocks until done; safe to call twice.
    public func stop() {
        let group = self.group
        let shutdown: @Sendable () async -> Void = { await group.triggerGracefulShutdown() }
        if #available(macOS 15.0, iOS 18.0, *) {
            Task(executorPreference: ThreadPoolExecutor.shared, operation: shutdown)
        } else {
            Task(operation: shutdown)
        }
        if !state.waitUntilFinished(timeout: 10) {
            runTask.cancel()  // connections that do not close in time
            _ = state.waitUntilFinished(timeout: .infinity)
        }
        state.closeOnce { store.close() }
    }

    /// Blocks until the server stops (`stop()` from another thread, or a fatal server error).
    public func waitUntilStopped() {
        _ = state.waitUntilFinished(timeout: .infinity)
    }

    // MARK: Faults and stats (also reachable over HTTP under /_sandbox/)

    public var faults: SandboxFaults { api.traffic.currentFaults }

    /// Admitted requests per second (sliding window), nil = unlimited.
    public func setRateLimit(_ limit: Int?) {
        api.traffic.update { $0.rateLimit = limit }
    }

    /// Lifetime of tokens issued from now on.
    public func setTokenTTL(_ seconds: Double) {
        api.traffic.update { $0.tokenTTL = seconds }
    }

    public var stats: SandboxStats { api.traffic.currentStats }

    public func resetStats() {
        api.traffic.resetStats()
    }
}

/// Start/stop handshake between the synchronous API and the server task.
private final class RunState: @unchecked Sendable {
    enum StartResult {
        case running(Int)
        case failed(any Error)
        case timedOut
    }

    private let condition = NSCondition()
    private var port: Int?
    private var done = false
    private var error: (any Error)?
    private var closed = false

    func started(port: Int) {
        condition.lock()
        self.port = port
        condition.broadcast()
        condition.unlock()
    }

    func finished(error: (any Error)?) {
        condition.lock()
        done = true
        self.error = error
        condition.broadcast()
        condition.unlock()
    }

    func waitForStart(timeout: TimeInterval) -> StartResult {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while port == nil && !done {
            if !condition.wait(until: deadline) { return .timedOut }
        }
        if let port, port > 0 { return .running(port) }
        return .failed(error ?? SandboxError("server stopped before listening"))
    }

    /// True when finished, false on timeout.
    func waitUntilFinished(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout.isFinite ? timeout : 0)
        condition.lock()
        defer { condition.unlock() }
        while !done {
            if !timeout.isFinite {
                condition.wait()  // wait(until: .distantFuture) traps on Linux
            } else if !condition.wait(until: deadline) {
                return done
            }
        }
        return true
    }

    func closeOnce(_ body: () -> Void) {
        condition.lock()
        let first = !closed
        closed = true
        condition.unlock()
        if first { body() }
    }
}
