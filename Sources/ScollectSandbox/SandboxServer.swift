import Foundation
import Hummingbird
import HummingbirdCore
import Logging

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
    private let state: RunState

    public var baseURL: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "http://\(h == "0.0.0.0" ? "127.0.0.1" : h):\(port)"
    }

    /// The Factors Network emulation's base URL (its paths: `/api/debtors/{duuid}/notes.json`).
    public var factorsNetworkURL: String { baseURL + "/" + FactorsNetworkEmulation.prefix }

    /// Opens (creating and seeding if new) the database and starts listening; returns once the port is bound.
    /// Synchronous on purpose: the engine that embeds it is thread-based, not async.
    public static func start(_ configuration: SandboxConfiguration) throws -> SandboxServer {
        let faults = SandboxFaults(rateLimit: configuration.rateLimit,
                                   tokenTTL: configuration.tokenTTL,
                                   dropAfterCommit: configuration.dropAfterCommit,
                                   faultSeed: configuration.faultSeed,
                                   serverErrorShare: configuration.serverErrorShare,
                                   dropShare: configuration.dropShare,
                                   latencyMs: configuration.latencyMs,
                                   serverErrorMessage: configuration.serverErrorMessage,
                                   retryAfterHeader: configuration.retryAfterHeader,
                                   closeAfterCommit: configuration.closeAfterCommit,
                                   timeoutAfterCommit: configuration.timeoutAfterCommit,
                                   emptyAfterCommit: configuration.emptyAfterCommit,
                                   badGatewayAfterCommit: configuration.badGatewayAfterCommit)
        let shares = [faults.serverErrorShare, faults.dropShare] + AfterCommitFault.allCases.map { faults.share(of: $0) }
        guard shares.allSatisfy({ (0...1).contains($0) }), faults.serverErrorShare + faults.dropShare <= 1 else {
            throw SandboxError("fault shares must be between 0 and 1 (http_500 + drop_connection at most 1)")
        }
        let store = try SandboxStore.open(path: configuration.databasePath, seedFiles: configuration.seedFiles)
        let traffic = SandboxTraffic(faults: faults)
        let api = SandboxAPI(store: store, traffic: traffic, apikeys: [configuration.apikey] + configuration.otherTenantAPIKeys, pin: configuration.pin,
                             factorsNetworkUser: configuration.factorsNetworkUser, factorsNetworkPassword: configuration.factorsNetworkPassword)
        let state = RunState()

        var logger = Logger(label: "scollect-sandbox")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            ?? .warning
        // The HTTP/1 server of Hummingbird, run directly rather than through `Application`: the
        // ServiceGroup and date-cache services `Application` adds spawn unstructured tasks on
        // shutdown, which need the global cooperative pool, and `stop()` may be blocking it.
        let service = try HTTPServerBuilder.http1().buildServer(
            configuration: ServerConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                               serverName: "scollect-sandbox"),
            eventLoopGroup: EventLoopGroupProvider.singleton.eventLoopGroup,
            logger: logger,
            responder: { (request, responseWriter: consuming ResponseWriter, _) in
                switch await api.answer(request) {
                case .complete(let response):
                    try await responseWriter.write(response: response.head, body: response.body)
                case .truncated(let reply):
                    try await DropAfterCommit.writeTruncated(reply, to: responseWriter)
                case .closed:
                    // Before the head: Hummingbird closes the connection and nothing is sent.
                    throw ConnectionClosedWithoutAnswer()
                }
            },
            onServerRunning: { channel in
                state.started(port: channel.localAddress?.port ?? -1, close: { try? channel.close().wait() })
            }
        )
        // The database closes when the server has stopped, before anyone waiting is woken.
        let body: @Sendable () async -> Void = {
            var failure: (any Error)?
            do {
                try await service.run()
            } catch {
                failure = error
            }
            store.close()
            state.finished(error: failure)
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
                                 task: task, state: state)
        case .failed(let error):
            throw SandboxError("sandbox could not listen on \(configuration.host):\(configuration.port): \(error)")
        case .timedOut:
            task.cancel()
            throw SandboxError("sandbox did not start listening on \(configuration.host):\(configuration.port)")
        }
    }

    private init(configuration: SandboxConfiguration, port: Int, store: SandboxStore, api: SandboxAPI,
                 task: Task<Void, Never>, state: RunState) {
        self.configuration = configuration
        self.host = configuration.host
        self.port = port
        self.store = store
        self.api = api
        self.runTask = task
        self.state = state
    }

    /// Stops listening, drops open connections (a request in flight may get no answer) and
    /// closes the database. Blocks until done; safe to call twice and from any thread except
    /// a NIO event loop. Does not need the cooperative thread pool.
    public func stop() {
        // Closing the listening socket ends the accept loop; cancelling the task then ends the
        // open (keep-alive) connections. Neither needs the cooperative pool.
        state.closeListener?()
        runTask.cancel()
        _ = state.waitUntilFinished(timeout: .infinity)
    }

    /// Blocks until the server has stopped and closed its database (`stop()` from another
    /// thread, or a fatal server error).
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

    /// Share (0…1) of committed writes whose connection is dropped from now on.
    public func setDropAfterCommit(_ share: Double) {
        precondition((0...1).contains(share), "dropAfterCommit must be a share between 0 and 1")
        api.traffic.update { $0.dropAfterCommit = share }
    }

    /// Share (0…1) of committed writes that meet `fault` from now on.
    public func setShare(_ share: Double, of fault: AfterCommitFault) {
        precondition((0...1).contains(share), "\(fault.configKey) must be a share between 0 and 1")
        api.traffic.update { $0[keyPath: fault.share] = share }
    }

    /// Restarts the fault draws from `seed` (even when it is the current seed).
    public func setFaultSeed(_ seed: UInt64) {
        api.traffic.update(reseed: true) { $0.faultSeed = seed }
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
    private var closeChannel: (@Sendable () -> Void)?
    private var done = false
    private var error: (any Error)?

    func started(port: Int, close: @escaping @Sendable () -> Void) {
        condition.lock()
        self.closeChannel = close
        self.port = port
        condition.broadcast()
        condition.unlock()
    }

    /// Closes the listening socket (blocking until closed).
    var closeListener: (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        return closeChannel
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
}
