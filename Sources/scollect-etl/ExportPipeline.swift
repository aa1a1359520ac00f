import ArgumentParser
import Foundation
import ScollectETL
import ScollectSandbox

/// `run` on an export pipeline (`source: { scollect: … }`): load it, resolve the target as a
/// load run does (SCOLLECT_URL, the pipeline's URL, or the embedded sandbox), export, print
/// the summary.
func runExportPipeline(at path: String, quiet: Bool) throws -> RunSummary {
    let log: (String) -> Void = { if !quiet { printError($0) } }
    let config: ExportPipelineConfig
    do {
        config = try ExportPipelineLoader.load(path: path)
    } catch {
        printError("error: \(error)")
        throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
    }
    let (target, sandbox) = try resolveExportTarget(config.target, log: { printError($0) })
    defer { sandbox?.stop() }
    var options = RunOptions()
    options.log = log
    options.isInterrupted = { Interruption.requested }
    Interruption.install()
    let summary = ExportRunner(config: config, target: target, options: options).run()
    print(summary.table)
    if let reason = summary.abortReason { printError("error: \(reason)") }
    return summary
}

/// `TargetResolver.resolve` for an export's target: SCOLLECT_URL wins; else a real URL needs
/// credentials; else the embedded sandbox (its database, `.scollect/sandbox.sqlite`, is what
/// `scollect-etl sandbox seed` fills).
func resolveExportTarget(_ config: PipelineConfig.Target, log: (String) -> Void) throws -> (RunTarget, SandboxServer?) {
    let env = ProcessInfo.processInfo.environment
    let url = env["SCOLLECT_URL"].flatMap { $0.isEmpty ? nil : $0 }
    if url != nil || !config.isSandbox {
        let baseURL = url ?? config.url
        guard let (apikey, pin) = try TargetResolver.credentials(env) else {
            printError("error: target \(baseURL) needs credentials: set SCOLLECT_APIKEY and SCOLLECT_PIN in the environment, or SCOLLECT_CREDENTIALS_FILE to a file of mode 0600 holding them (never in the pipeline file)")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        return (RunTarget(baseURL: baseURL, credentials: Credentials(apikey: apikey, pin: pin), description: baseURL), nil)
    }
    let database = env["SCOLLECT_SANDBOX_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? TargetResolver.sandboxDatabase
    try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: database).deletingLastPathComponent().path,
                                            withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    var sandboxConfig = SandboxConfiguration(databasePath: database, port: 0, seedFiles: config.sandboxSeedFiles)
    sandboxConfig.host = "127.0.0.1"
    let server: SandboxServer
    do {
        server = try SandboxServer.start(sandboxConfig)
    } catch {
        printError("error: cannot start the embedded sandbox: \(error)")
        throw ExitCode(ScollectETL.ExitCode.apiUnavailable.rawValue)
    }
    log("EMBEDDED SANDBOX: SCOLLECT_URL is not set and the pipeline's target is \"sandbox\": exporting from a local sandbox (\(server.baseURL), database \(database)), not a real Scollect")
    let apikey = env["SCOLLECT_APIKEY"].flatMap { $0.isEmpty ? nil : $0 } ?? sandboxConfig.apikey
    let pin = env["SCOLLECT_PIN"].flatMap { $0.isEmpty ? nil : $0 } ?? sandboxConfig.pin
    return (RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: apikey, pin: pin),
                      description: "embedded sandbox \(server.baseURL) (\(database))"), server)
}
