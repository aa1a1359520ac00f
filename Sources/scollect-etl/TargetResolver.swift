import ArgumentParser
import Foundation
import Logging
import ScollectETL
import ScollectSandbox

/// The command line's side of `TargetResolution`: a problem with the environment exits 2, and
/// an embedded sandbox target starts the sandbox (with a banner saying so).
enum TargetResolver {
    struct Resolved {
        let target: RunTarget
        let sandbox: SandboxServer?
    }

    static var sandboxDatabase: String { TargetResolution.sandboxDatabase }

    static func resolve(_ target: PipelineConfig.Target, log: Logger) throws -> Resolved {
        let decision: TargetResolution.Decision
        try prepareState()
        do {
            decision = try TargetResolution.decide(target, env: ProcessInfo.processInfo.environment)
            _ = try JournalKey.fromEnvironment(ProcessInfo.processInfo.environment) // a bad SCOLLECT_JOURNAL_KEY_FILE stops here, exit 2
        } catch {
            printError("error: \(error)")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        switch decision {
        case let .remote(runTarget):
            return Resolved(target: runTarget, sandbox: nil)
        case let .embeddedSandbox(sandbox):
            return try start(sandbox, log: log)
        }
    }

    private static func start(_ sandbox: TargetResolution.EmbeddedSandbox, log: Logger) throws -> Resolved {
        try PrivateFile.createDirectory(URL(fileURLWithPath: sandbox.database).deletingLastPathComponent().path)
        var sandboxConfig = SandboxConfiguration(databasePath: sandbox.database, port: 0, seedFiles: sandbox.seedFiles)
        sandboxConfig.host = "127.0.0.1"
        let server: SandboxServer
        do {
            server = try SandboxServer.start(sandboxConfig)
        } catch {
            printError("error: cannot start the embedded sandbox: \(error)")
            throw ExitCode(ScollectETL.ExitCode.apiUnavailable.rawValue)
        }
        log.info("""
        ************************************************************************
        *  EMBEDDED SANDBOX: SCOLLECT_URL is not set and the pipeline's target  *
        *  is "sandbox". Working on a local sandbox, not a real Scollect:      *
        *    \(server.baseURL.padding(toLength: 66, withPad: " ", startingAt: 0))*
        *    database \(sandbox.database.padding(toLength: 57, withPad: " ", startingAt: 0))*
        ************************************************************************
        """)
        let target = sandbox.target(baseURL: server.baseURL, instanceID: server.store.instanceID,
                                    defaultCredentials: Credentials(apikey: sandboxConfig.apikey, pin: sandboxConfig.pin),
                                    defaultFactorsNetwork: FactorsNetworkTarget(baseURL: server.factorsNetworkURL,
                                        user: sandboxConfig.factorsNetworkUser, password: sandboxConfig.factorsNetworkPassword))
        return Resolved(target: target, sandbox: server)
    }

    /// The state directory (`StateDirectory.current`), created 0700 on first use; the notice
    /// about a `.scollect/` of the working directory used in its place, once.
    static func prepareState() throws {
        let state = StateDirectory.current
        if !noticeShown, let notice = state.notice {
            noticeShown = true
            printError("notice: " + notice)
        }
        do {
            try PrivateFile.createDirectory(state.path)
        } catch {
            printError("error: cannot create the state directory \(state.path) (\(state.reason.rawValue)): \(error); set SCOLLECT_STATE_DIR to a folder this user can write")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
    }

    nonisolated(unsafe) private static var noticeShown = false

    /// The journal of the target a command without a pipeline means: `SCOLLECT_JOURNAL`, else
    /// SCOLLECT_URL's server's, else the embedded sandbox's (nil when it has no database yet).
    static func defaultJournalPath() throws -> String? {
        let env = ProcessInfo.processInfo.environment
        if StateDirectory.current.notice != nil { try prepareState() }
        if let path = env["SCOLLECT_JOURNAL"], !path.isEmpty {
            guard JournalLocation.isPostgres(path), let credentials = try? TargetResolution.credentials(env) else { return path }
            return JournalLocation.forTenant(path, apikey: credentials.apikey)
        }
        if let url = env["SCOLLECT_URL"], !url.isEmpty {
            guard let credentials = try? TargetResolution.credentials(env) else { return TenantJournal.legacyPath(forURL: url) }
            return try TargetResolution.journalPath(forURL: url, apikey: credentials.apikey, env: env)
        }
        let database = TargetResolution.embeddedDatabase(env: env)
        guard FileManager.default.fileExists(atPath: database) else { return nil }
        let store = try SandboxStore.open(path: database)
        defer { store.close() }
        return TargetResolution.sandboxJournal(instanceID: store.instanceID)
    }
}
