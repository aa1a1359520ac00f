import Foundation
import Logging

/// `on_failure:` — a command run when a run ends with one of the listed exit codes (alerting):
///
///     on_failure:
///       command: [/usr/local/bin/notify, --channel, ops]   # an argv list; no shell unless you write sh -c
///       when: [3, 4, 5, 6]                                 # exit codes; this is the default
///       timeout_seconds: 60                                # then it is stopped; the default
///       pass_env: [SLACK_WEBHOOK_URL]                      # variables it may see besides the default ones
///
/// It gets the summary JSON on stdin and an environment built from an allow-list: `PATH`,
/// `HOME`, `LANG`, `TZ`, the variables `pass_env` names, and `SCOLLECT_RUN_ID`,
/// `SCOLLECT_EXIT_CODE`, `SCOLLECT_SUMMARY_FILE`. Nothing else of the run's environment
/// reaches it, and `pass_env` cannot name a credential (`SCOLLECT_APIKEY`, `SCOLLECT_PIN`,
/// `SCOLLECT_CREDENTIALS_FILE`, `SCOLLECT_JOURNAL_KEY_FILE`, any `FACTORS_NETWORK_*`). Its output
/// goes to stderr. Its failure is logged and never changes the run's exit code.
public struct FailureCommand: Sendable, Equatable {
    public var arguments: [String]
    public var exitCodes: Set<Int32>
    public var timeoutSeconds: Double
    /// `pass_env`: variables of the run's environment the command also gets.
    public var passEnvironment: [String]

    public static let defaultExitCodes: Set<Int32> = [3, 4, 5, 6]
    public static let spec = ComponentSpec(.section, "on_failure", summary: "A command run when a run ends with one of the listed exit codes (alerting); it gets the summary JSON on stdin.", options: [
        OptionSpec("command", .list, required: true, help: "The program and its arguments, an argv list (no shell unless you write sh -c).", example: "[/usr/local/bin/notify, --channel, ops]"),
        OptionSpec("when", .list, default: "[3, 4, 5, 6]", help: "The exit codes that run it.", example: "[3, 4, 5, 6]"),
        OptionSpec("timeout_seconds", .number(minimum: 1), default: "60", help: "Then it is stopped.", example: "60"),
        OptionSpec("pass_env", .list, default: "[]", help: "Variables it may see besides PATH, HOME, LANG, TZ and SCOLLECT_RUN_ID, _EXIT_CODE, _SUMMARY_FILE; never a credential.", example: "[SLACK_WEBHOOK_URL]"),
    ], example: "on_failure:\n  command: [/usr/local/bin/notify, --channel, ops]\n  when: [3, 4, 5, 6]")
    /// What every command gets from the run's environment, when set.
    public static let allowedEnvironment = ["PATH", "HOME", "LANG", "TZ"]
    /// Never handed to a notifier, whatever `pass_env` says.
    static let credentialVariables: Set<String> = ["SCOLLECT_APIKEY", "SCOLLECT_PIN", "SCOLLECT_CREDENTIALS_FILE", "SCOLLECT_JOURNAL_KEY_FILE"]

    public init(arguments: [String], exitCodes: Set<Int32> = FailureCommand.defaultExitCodes, timeoutSeconds: Double = 60,
                passEnvironment: [String] = []) {
        self.arguments = arguments
        self.exitCodes = exitCodes
        self.timeoutSeconds = timeoutSeconds
        self.passEnvironment = passEnvironment
    }

    static func isCredential(_ name: String) -> Bool {
        credentialVariables.contains(name.uppercased()) || name.uppercased().hasPrefix("FACTORS_NETWORK_")
    }

    /// The `on_failure:` section, if the pipeline has one. A program named with a `/` is
    /// relative to the pipeline file; a bare name is looked up in PATH when it runs.
    static func parse(_ node: ConfigNode?, resolve: (String) -> String) throws -> FailureCommand? {
        guard let node else { return nil }
        let section = try spec.validate(node)
        let commandNode = try section.required("command")
        guard case .sequence = commandNode.node else {
            throw commandNode.error("on_failure.command is a list: the program and its arguments, e.g. [/usr/local/bin/notify, --channel, ops] (for a shell line write [sh, -c, \"…\"])")
        }
        var arguments = try commandNode.stringList()
        guard let program = arguments.first, !program.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw commandNode.error("on_failure.command names no program")
        }
        if program.contains("/") { arguments[0] = resolve(program) }
        var codes = defaultExitCodes
        if let whenNode = section["when"] {
            codes = []
            for item in try whenNode.list() {
                let code = try item.int(in: 1...7)
                codes.insert(Int32(code))
            }
            guard !codes.isEmpty else { throw whenNode.error("on_failure.when lists no exit code") }
        }
        let timeout = try section["timeout_seconds"]?.double(minimum: 1) ?? 60
        var passed: [String] = []
        for item in try section["pass_env"]?.list() ?? [] {
            let name = try item.string()
            guard name.range(of: #"^[A-Za-z_][A-Za-z0-9_]*$"#, options: .regularExpression) != nil else {
                throw item.error("on_failure.pass_env: \"\(name)\" is not an environment variable name")
            }
            guard !isCredential(name) else {
                throw item.error("on_failure.pass_env: \(name) is a credential; the on_failure command never gets the Scollect or Factors Network credentials")
            }
            passed.append(name)
        }
        return FailureCommand(arguments: arguments, exitCodes: codes, timeoutSeconds: timeout, passEnvironment: passed)
    }

    public func applies(to code: ExitCode) -> Bool { exitCodes.contains(code.rawValue) }

    public enum Outcome: Equatable, Sendable {
        case exited(Int32)
        case killedBySignal(Int32)
        case timedOut
        case couldNotStart(String)
    }

    /// Runs the command and waits for it (at most `timeoutSeconds`, then SIGTERM, then SIGKILL
    /// five seconds later). `log` gets one line saying how it went.
    @discardableResult
    public func run(summaryJSON: String, runId: String, exitCode: ExitCode, summaryFile: String,
                    environment: [String: String] = ProcessInfo.processInfo.environment, log: Logger) -> Outcome {
        let outcome = execute(summaryJSON: summaryJSON, runId: runId, exitCode: exitCode, summaryFile: summaryFile, environment: environment)
        let name = arguments[0]
        switch outcome {
        case .exited(0): log.info("on_failure: \(name) was told of exit \(exitCode.rawValue)")
        case let .exited(status): log.error("on_failure: \(name) exited with \(status) (the run's exit code stays \(exitCode.rawValue))")
        case let .killedBySignal(signal): log.error("on_failure: \(name) was killed by signal \(signal)")
        case .timedOut: log.error("on_failure: \(name) did not finish within \(Int(timeoutSeconds)) s and was stopped")
        case let .couldNotStart(reason): log.error("on_failure: cannot run \(name): \(reason)")
        }
        return outcome
    }

    private func execute(summaryJSON: String, runId: String, exitCode: ExitCode, summaryFile: String, environment: [String: String]) -> Outcome {
        guard let executable = FailureCommand.executablePath(arguments[0], path: environment["PATH"]) else {
            return .couldNotStart("not found" + (arguments[0].contains("/") ? "" : " in PATH") + " or not executable")
        }
        let env = childEnvironment(from: environment, runId: runId, exitCode: exitCode, summaryFile: summaryFile)


        // Spawned in a process group of its own, so that a timeout stops the command and
        // whatever it started (a shell's children too), and with default signal handling.
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return .couldNotStart("pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
        posix_spawn_file_actions_adddup2(&actions, 2, 1) // its output goes to stderr: stdout holds the summary table
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = ([executable] + arguments.dropFirst()).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(pipeEnds[0])
        guard spawned == 0 else {
            close(pipeEnds[1])
            return .couldNotStart(String(cString: strerror(spawned)))
        }

        // A command that never reads stdin must neither block us nor kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let input = pipeEnds[1]
        let bytes = Array((summaryJSON + "\n").utf8)
        Thread.detachNewThread {
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = Foundation.write(input, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    offset += n
                }
            }
            close(input)
        }

        var status: Int32 = 0
        if !FailureCommand.wait(for: pid, status: &status, seconds: timeoutSeconds) {
            kill(-pid, SIGTERM)
            if !FailureCommand.wait(for: pid, status: &status, seconds: 5) {
                kill(-pid, SIGKILL)
                _ = FailureCommand.wait(for: pid, status: &status, seconds: .infinity)
            }
            return .timedOut
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .killedBySignal(signal)
    }

    /// The command's whole environment: the allow-list and `pass_env` (credentials never, even
    /// if the section was built by hand), then the run's own variables.
    func childEnvironment(from environment: [String: String], runId: String, exitCode: ExitCode, summaryFile: String) -> [String: String] {
        var env: [String: String] = [:]
        for name in FailureCommand.allowedEnvironment + passEnvironment where !FailureCommand.isCredential(name) {
            if let value = environment[name] { env[name] = value }
        }
        env["SCOLLECT_RUN_ID"] = runId
        env["SCOLLECT_EXIT_CODE"] = String(exitCode.rawValue)
        env["SCOLLECT_SUMMARY_FILE"] = summaryFile
        return env
    }

    /// Waits for the child to end, up to `seconds`; false when it is still running.
    private static func wait(for pid: pid_t, status: inout Int32, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(min(seconds, 1e9))
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return true }
            if result < 0 && errno != EINTR { return true } // already reaped: nothing left to wait for
            if Date() >= deadline { return false }
            usleep(20_000)
        }
    }

    /// Like execvp: a name with a `/` as is, else the first executable match in PATH.
    static func executablePath(_ program: String, path: String?) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        for folder in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

extension FailureCommand {
    /// What `validate` shows: the program and arguments as run (quoted where needed, control
    /// characters escaped), when, and what environment it gets.
    public var summary: String {
        let words = arguments.map { word -> String in
            let safe = TerminalText.printable(word)
            let plain = !safe.isEmpty && safe.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./=:,@%+".unicodeScalars.contains($0) }
            return plain ? safe : "'" + safe.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        let codes = exitCodes.sorted().map(String.init).joined(separator: ", ")
        let environment = (FailureCommand.allowedEnvironment + passEnvironment).joined(separator: ", ")
        return "on_failure will run: \(words.joined(separator: " ")) (on exit \(codes); stopped after \(Int(timeoutSeconds)) s; environment: \(environment), SCOLLECT_RUN_ID, SCOLLECT_EXIT_CODE, SCOLLECT_SUMMARY_FILE)"
    }
}
