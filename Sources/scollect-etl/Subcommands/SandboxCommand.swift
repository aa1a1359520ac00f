import ArgumentParser
import Foundation
import ScollectETL
import ScollectSandbox

/// `scollect-etl sandbox [serve] …` and `scollect-etl sandbox reset …`.
struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the embedded Scollect sandbox.",
        discussion: """
            A local server speaking the documented Scollect API, its state in a SQLite file. A new \
            database holds the document's example accounts plus the seed files.

            Faults after commit (each a share 0…1 of committed writes, one seeded draw each; when \
            several draw one write, the first of this list applies): --close-after-commit (the \
            connection closed without a byte: libcurl re-sends on a reused connection), \
            --drop-after-commit (half an answer, then closed), --bad-gateway-after-commit (HTTP \
            502), --timeout-after-commit (200 {"state": "TIMEOUT", …}), --empty-after-commit (200, \
            empty body). Before handling: --http-500, --drop-connection.

            At run time: PUT /_sandbox/config with any of the keys rate_limit, token_ttl, \
            latency_ms, http_500, drop_connection, close_after_commit, drop_after_commit, \
            bad_gateway_after_commit, timeout_after_commit, empty_after_commit, fault_seed \
            (sending fault_seed restarts the draws). GET /_sandbox/config shows them; \
            GET /_sandbox/stats adds what was injected.

            Examples:
              scollect-etl sandbox --port 8000 --db /tmp/sandbox.sqlite
              scollect-etl sandbox --rate-limit 50     # 429 above 50 requests/s
              scollect-etl sandbox --close-after-commit 0.05 --fault-seed 7
              curl -X PUT localhost:8000/_sandbox/config -d '{"timeout_after_commit": 0.1}'
              scollect-etl sandbox reset
            """,
        subcommands: [Serve.self, Reset.self, Seed.self],
        defaultSubcommand: Serve.self
    )

    /// In the state directory (`StateDirectory`).
    static var defaultDatabase: String { TargetResolution.sandboxDatabase }

    /// The database's folder, created 0700 (the state directory on first use).
    static func prepareFolder(of database: String) throws {
        if database == defaultDatabase { try TargetResolver.prepareState() }
        try PrivateFile.createDirectory(URL(fileURLWithPath: database).deletingLastPathComponent().path)
    }
    static let defaultSeed = "SampleData/sandbox-accounts.json"

    /// The given seed files, or the sample data file when none are given and it exists.
    static func seedFiles(_ given: [String]) -> [String] {
        if !given.isEmpty { return given }
        return FileManager.default.fileExists(atPath: defaultSeed) ? [defaultSeed] : []
    }

    static func say(_ line: String) {
        print(line)
        fflush(stdout)
    }
}

extension SandboxCommand {
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve the sandbox API until interrupted."
        )

        @Option(help: "Port to listen on (0 = any free port).")
        var port: Int = 8000

        @Option(help: "Address to listen on.")
        var host: String = "127.0.0.1"

        @Option(name: .customLong("db"), help: "SQLite database file (created and seeded when missing) (default: sandbox.sqlite in the state directory).")
        var databaseOption: String?
        var database: String { databaseOption ?? SandboxCommand.defaultDatabase }

        @Option(name: .customLong("rate-limit"), help: "Admitted requests per second (sliding window); over it: HTTP 429.")
        var rateLimit: Int?

        @Option(name: .customLong("token-ttl"), help: "Access-token lifetime in seconds.")
        var tokenTTL: Double = 900

        @Option(name: .customLong("drop-after-commit"), help: ArgumentHelp(
            "Share (0…1) of committed writes whose connection is then dropped before the answer is complete (key drop_after_commit).",
            valueName: "share"))
        var dropAfterCommit: Double = 0

        @Option(name: .customLong("close-after-commit"), help: ArgumentHelp(
            "Share (0…1) of committed writes whose connection is then closed without a byte of answer (key close_after_commit).",
            valueName: "share"))
        var closeAfterCommit: Double = 0

        @Option(name: .customLong("timeout-after-commit"), help: ArgumentHelp(
            "Share (0…1) of committed writes then answered HTTP 200 {\"state\": \"TIMEOUT\", \"status\": …} (key timeout_after_commit).",
            valueName: "share"))
        var timeoutAfterCommit: Double = 0

        @Option(name: .customLong("empty-after-commit"), help: ArgumentHelp(
            "Share (0…1) of committed writes then answered HTTP 200 with an empty body (key empty_after_commit).",
            valueName: "share"))
        var emptyAfterCommit: Double = 0

        @Option(name: .customLong("bad-gateway-after-commit"), help: ArgumentHelp(
            "Share (0…1) of committed writes then answered HTTP 502 (key bad_gateway_after_commit).",
            valueName: "share"))
        var badGatewayAfterCommit: Double = 0

        @Option(name: .customLong("fault-seed"), help: "Seed of the fault draws: same seed, same faults for the same order of requests.")
        var faultSeed: UInt64 = 0

        @Option(name: .customLong("http-500"), help: ArgumentHelp("Share (0…1) of API requests answered HTTP 500 without being acted on.", valueName: "share"))
        var serverErrorShare: Double = 0

        @Option(name: .customLong("drop-connection"), help: ArgumentHelp("Share (0…1) of API requests whose connection is dropped without being acted on.", valueName: "share"))
        var dropShare: Double = 0

        @Option(name: .customLong("latency-ms"), help: "Latency added to every API request.")
        var latencyMs: Double = 0

        @Option(name: .customLong("http-500-message"), help: ArgumentHelp("The msg of an injected HTTP 500 (e.g. with terminal escape sequences, as a hostile server would send).", valueName: "text"))
        var serverErrorMessage: String?

        @Option(name: .customLong("retry-after"), help: ArgumentHelp("Sent as the 429's Retry-After instead of the seconds to wait (e.g. inf, -1, 99999999).", valueName: "text"))
        var retryAfter: String?

        @Option(name: .customLong("seed"), help: ArgumentHelp(
            "Account file loaded when the database is created (repeatable; default \(SandboxCommand.defaultSeed) when it exists).",
            valueName: "file"))
        var seeds: [String] = []

        @Option(help: "API key /login accepts.")
        var apikey: String = SandboxConfiguration.defaultAPIKey

        @Option(help: "PIN /login accepts.")
        var pin: String = SandboxConfiguration.defaultPIN

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
            if let rateLimit, rateLimit < 0 { throw ValidationError("--rate-limit must not be negative") }
            guard tokenTTL > 0 else { throw ValidationError("--token-ttl must be positive") }
            for (flag, share) in [("--drop-after-commit", dropAfterCommit), ("--close-after-commit", closeAfterCommit),
                                  ("--timeout-after-commit", timeoutAfterCommit), ("--empty-after-commit", emptyAfterCommit),
                                  ("--bad-gateway-after-commit", badGatewayAfterCommit)] {
                guard (0...1).contains(share) else { throw ValidationError("\(flag) must be 0…1") }
            }
            guard (0...1).contains(serverErrorShare), (0...1).contains(dropShare), serverErrorShare + dropShare <= 1 else {
                throw ValidationError("--http-500 and --drop-connection are shares 0…1 (together at most 1)")
            }
            guard latencyMs >= 0 else { throw ValidationError("--latency-ms must not be negative") }
        }

        func run() throws {
            try SandboxCommand.prepareFolder(of: database)
            let existed = FileManager.default.fileExists(atPath: database)
            let seedFiles = SandboxCommand.seedFiles(seeds)
            var configuration = SandboxConfiguration(databasePath: database, port: port, seedFiles: seedFiles)
            configuration.host = host
            configuration.rateLimit = rateLimit
            configuration.tokenTTL = tokenTTL
            configuration.dropAfterCommit = dropAfterCommit
            configuration.closeAfterCommit = closeAfterCommit
            configuration.timeoutAfterCommit = timeoutAfterCommit
            configuration.emptyAfterCommit = emptyAfterCommit
            configuration.badGatewayAfterCommit = badGatewayAfterCommit
            configuration.faultSeed = faultSeed
            configuration.serverErrorShare = serverErrorShare
            configuration.dropShare = dropShare
            configuration.latencyMs = latencyMs
            if let serverErrorMessage { configuration.serverErrorMessage = serverErrorMessage }
            configuration.retryAfterHeader = retryAfter
            configuration.apikey = apikey
            configuration.pin = pin
            let server = try SandboxServer.start(configuration)

            let say = SandboxCommand.say
            say("Scollect sandbox listening on \(server.baseURL)")
            say("  credentials: POST /login {\"apikey\": \"\(apikey)\", \"pin\": \"\(pin)\"}")
            say("  database:    \(database)\(existed ? "" : " (new)")")
            if existed {
                if !seeds.isEmpty { say("  seed files ignored: the database exists (use `scollect-etl sandbox reset`)") }
            } else if !seedFiles.isEmpty {
                say("  seeded from: \(seedFiles.joined(separator: ", "))")
            }
            let g = { (value: Double) in String(format: "%g", value) }
            say("  faults:      rate limit \(rateLimit.map { "\($0)/s" } ?? "none"), token TTL \(g(tokenTTL)) s, "
                + "HTTP 500 \(g(serverErrorShare)), dropped connections \(g(dropShare)), latency \(g(latencyMs)) ms (seed \(faultSeed))")
            say("  after commit: close \(g(closeAfterCommit)), drop \(g(dropAfterCommit)), 502 \(g(badGatewayAfterCommit)), "
                + "timeout \(g(timeoutAfterCommit)), empty \(g(emptyAfterCommit))")
            say("  instance:    \(server.store.instanceID)")
            say("  admin:       GET /_sandbox/stats, POST /_sandbox/stats/reset, GET|PUT /_sandbox/config")
            say("Press Ctrl-C to stop.")

            let signals = SandboxCommand.onInterrupt { server.stop() }
            server.waitUntilStopped()
            signals.forEach { $0.cancel() }
            say("Sandbox stopped.")
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset",
            abstract: "Delete the sandbox database and re-create it with the document examples and the seed files."
        )

        @Option(name: .customLong("db"), help: "SQLite database file (default: sandbox.sqlite in the state directory).")
        var databaseOption: String?
        var database: String { databaseOption ?? SandboxCommand.defaultDatabase }

        @Option(name: .customLong("seed"), help: ArgumentHelp(
            "Account file to load (repeatable; default \(SandboxCommand.defaultSeed) when it exists).",
            valueName: "file"))
        var seeds: [String] = []

        func run() throws {
            let seedFiles = SandboxCommand.seedFiles(seeds)
            try SandboxCommand.prepareFolder(of: database)
            try SandboxDatabase.reset(path: database, seedFiles: seedFiles)
            let store = try SandboxStore.open(path: database)
            let accounts = try store.accountCount()
            store.close()
            let from = seedFiles.isEmpty ? "" : " + \(seedFiles.joined(separator: ", "))"
            SandboxCommand.say("Reset \(database): \(accounts) accounts (document examples\(from)).")
        }
    }

    /// Runs `action` once on SIGINT or SIGTERM (instead of the process dying mid-write).
    static func onInterrupt(_ action: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        let queue = DispatchQueue(label: "scollect-sandbox.signals")
        return [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler(handler: action)
            source.resume()
            return source
        }
    }
}
