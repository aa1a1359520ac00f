import ArgumentParser
import Foundation
import ScollectETL
import ScollectSandbox

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline: read, normalise, write what changed to Scollect, and write the reports.",
        discussion: """
        The target is the pipeline's target.url, or SCOLLECT_URL when set (credentials from \
        SCOLLECT_APIKEY and SCOLLECT_PIN, or SCOLLECT_CREDENTIALS_FILE). A pipeline whose target is \
        "sandbox" runs against the embedded sandbox when SCOLLECT_URL is not set.

        While it runs, a status line on stderr shows rows written/unchanged/rejected, requests/s, \
        429s, retries and an ETA (on a terminal; elsewhere a progress line every 10 s at most). At \
        the end it prints a summary table and writes rejects.csv.gz, audit.jsonl.gz, summary.json \
        and report.html (open it in a browser, offline) into <reports folder>/<run id>/. The \
        pipeline's on_failure: command, if any, is run for the exit codes it lists.

        source.file may be a dated name (placements_{yyyyMMdd}.csv, filled with today's date or \
        --date) or a glob (inbox/*.csv): each matching file is loaded in turn, in name order. A \
        file the journal shows loaded before is refused (exit 4) unless --force.

        Examples:
          scollect-etl run Pipelines/nightly-placement.yml
          scollect-etl run Pipelines/nightly-placement.yml --input fixed.csv
          scollect-etl run Pipelines/nightly.yml --quiet --summary-json last.json

        Stopped (exit 6 or 7)? Run the same command again: rows already written are skipped. \
        The exit codes are listed in scollect-etl --help.
        """
    )

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(help: ArgumentHelp("Read this file instead of the pipeline's source file (e.g. a fixed rejects report).", valueName: "file"))
    var input: String?

    @OptionGroup var output: OutputOptions

    @Option(help: ArgumentHelp("Also write the end-of-run summary as JSON to this file, for monitoring.", valueName: "file"))
    var summaryJson: String?

    @Flag(help: "Load the input even if the journal shows the same file (same SHA-256) loaded before.")
    var force = false

    @Option(help: ArgumentHelp("The date that fills a dated source.file name (default: today).", valueName: "yyyy-mm-dd"))
    var date: String?

    mutating func run() throws {
        let summary = try runPipeline(at: pipeline, input: input, level: output.level, summaryJSONFile: summaryJson,
                                      force: force, date: try parsedDate(date))
        throw ExitCode(summary.exitCode.rawValue)
    }
}

/// Shared by `run`, `plan` and `demo`: load the pipeline, resolve the target (starting the
/// embedded sandbox if that is the target), run with a progress display, write the HTML report,
/// print the summary, tell the on_failure command.
func runPipeline(at path: String, input: String?, level: ProgressDisplay.Level, dryRun: Bool = false,
                 summaryJSONFile: String? = nil, force: Bool = false, date: Date = Date()) throws -> RunSummary {
    // An export pipeline (source: { scollect: … }) reads from Scollect into a file.
    if ExportPipelineLoader.isExportPipeline(path: path) {
        let summary = try runExportPipeline(at: path, quiet: level == .quiet)
        writeSummaryJSON(summary, to: summaryJSONFile)
        return summary
    }
    var config = try loadPipeline { try PipelineLoader.load(path: path) }
    // A dated or globbed source names the night's files; each is a run of its own.
    var inputs = [config.source.path]
    if input == nil, InputFiles.isPattern(config.source.path) {
        inputs = InputFiles.resolve(config.source.path, date: date)
        guard !inputs.isEmpty else {
            printError("error: no input file matches \(InputFiles.fillDate(config.source.path, date: date)) (source.file \(config.source.path))")
            throw ExitCode(ScollectETL.ExitCode.inputHeld.rawValue)
        }
    }
    let display = ProgressDisplay(level: level)
    let resolved = try TargetResolver.resolve(config.target, log: { display.log($0) })
    defer { resolved.sandbox?.stop() }

    var options = commandLineRunOptions(display: display)
    options.inputOverride = input
    options.dryRun = dryRun
    options.force = force
    options.progress = { display.update($0) }
    if level == .verbose { options.onRequest = { display.request($0) } }
    var summaries: [RunSummary] = []
    for file in inputs {
        config.source.path = file
        summaries.append(runOne(config, target: resolved.target, options: options, display: display, level: level,
                                dryRun: dryRun, summaryJSONFile: summaryJSONFile))
        if Interruption.requested { break }
    }
    // The night's exit code: the first failure, else "with rejects" if any file had some.
    let night = summaries.first { ![.done, .doneWithRejects].contains($0.exitCode) }
        ?? summaries.first { $0.exitCode == .doneWithRejects } ?? summaries[0]
    if summaries.count > 1 { writeSummaryJSON(night, to: summaryJSONFile) }
    return night
}

/// One input file: run, HTML report, summary table, on_failure.
func runOne(_ config: PipelineConfig, target: RunTarget, options: RunOptions, display: ProgressDisplay, level: ProgressDisplay.Level,
            dryRun: Bool, summaryJSONFile: String?) -> RunSummary {
    let summary = PipelineRunner(config: config, target: target, options: options).run()
    display.finish()

    var reportFiles = ["rejects.csv.gz", "audit.jsonl.gz", "summary.json"]
    // A run held before its first request (a journal it cannot open) has a folder but no audit.
    if !dryRun && !summary.reportFolder.isEmpty && FileManager.default.fileExists(atPath: summary.reportFolder + "/audit.jsonl.gz") {
        do {
            try HTMLRunReport.write(summary: summary, folder: summary.reportFolder)
            reportFiles.append(HTMLRunReport.fileName)
        } catch {
            display.log("error: the HTML report could not be written: \(error)")
        }
    }
    if dryRun {
        print(PlanCommand.table(summary, config: config))
    } else if level == .quiet {
        print(RunSummaryTable.oneLine(summary))
    } else {
        print(RunSummaryTable.render(summary, progress: display.latest, reportFiles: reportFiles))
    }
    if let reason = summary.abortReason { printError("error: \(reason)") }
    writeSummaryJSON(summary, to: summaryJSONFile)
    if !dryRun, let onFailure = config.onFailure, onFailure.applies(to: summary.exitCode) {
        tellFailureCommand(onFailure, summary: summary, summaryJSONFile: summaryJSONFile, log: { display.log($0) })
    }
    return summary
}

/// `--date yyyy-mm-dd`, at noon local time (a dated name never slips a day at a DST change).
func parsedDate(_ text: String?) throws -> Date {
    guard let text else { return Date() }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    guard let date = formatter.date(from: text + " 12:00") else {
        printError("error: --date must be yyyy-mm-dd, found \"\(text)\"")
        throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
    }
    return date
}

func writeSummaryJSON(_ summary: RunSummary, to path: String?) {
    guard let path else { return }
    _ = FileManager.default.createFile(atPath: path, contents: Data((summary.json.serialized + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
}

/// Runs the pipeline's on_failure command with the summary. A run stopped before its reports
/// folder existed (a held input) has no summary.json there: a temporary copy is handed over.
func tellFailureCommand(_ command: FailureCommand, summary: RunSummary, summaryJSONFile: String?, log: (String) -> Void) {
    var summaryFile = summary.reportFolder.isEmpty ? "" : summary.reportFolder + "/summary.json"
    var temporary: String?
    if summaryFile.isEmpty || !FileManager.default.fileExists(atPath: summaryFile) {
        if let summaryJSONFile {
            summaryFile = summaryJSONFile
        } else {
            temporary = NSTemporaryDirectory() + "scollect-summary-\(UUID().uuidString.prefix(8)).json"
            writeSummaryJSON(summary, to: temporary)
            summaryFile = temporary!
        }
    }
    defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
    command.run(summaryJSON: summary.json.serialized, runId: summary.runId, exitCode: summary.exitCode, summaryFile: summaryFile, log: log)
}

/// A pipeline file, loaded; a mistake in it is printed and exits 2.
func loadPipeline<Config>(_ load: () throws -> Config) throws -> Config {
    do {
        return try load()
    } catch {
        printError("error: \(error)")
        throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
    }
}

/// What every run from the command line shares: notices through the display (errors only
/// when quiet), and Ctrl-C / SIGTERM taken as "stop after the calls in flight".
func commandLineRunOptions(display: ProgressDisplay) -> RunOptions {
    var options = RunOptions()
    options.log = { display.log($0) }
    options.isInterrupted = { Interruption.requested }
    Interruption.install()
    return options
}

enum TargetResolver {
    struct Resolved {
        let target: RunTarget
        let sandbox: SandboxServer?
    }

    static let sandboxDatabase = ".scollect/sandbox.sqlite"

    /// The embedded sandbox's database: `SCOLLECT_SANDBOX_DB` (benchmarks and scripts point it
    /// at a seeded file), else `.scollect/sandbox.sqlite`.
    static var embeddedDatabase: String {
        ProcessInfo.processInfo.environment["SCOLLECT_SANDBOX_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? sandboxDatabase
    }

    /// SCOLLECT_URL wins; else a "sandbox" target starts the embedded sandbox; a real URL in
    /// the pipeline never falls back to the sandbox. Load and export pipelines alike.
    static func resolve(_ target: PipelineConfig.Target, log: (String) -> Void) throws -> Resolved {
        let env = ProcessInfo.processInfo.environment
        let url = env["SCOLLECT_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let factorsNetwork: FactorsNetworkTarget?
        do {
            factorsNetwork = try FactorsNetworkTarget.fromEnvironment(env)
        } catch {
            printError("error: \(error)")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        if url != nil || !target.isSandbox {
            let baseURL = url ?? target.url
            do { try URLPolicy.check(baseURL, source: url != nil ? "SCOLLECT_URL" : "target.url") } catch {
                printError("error: \(error)")
                throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
            }
            guard let (apikey, pin) = try credentials(env) else {
                printError("error: target \(baseURL) needs credentials: set SCOLLECT_APIKEY and SCOLLECT_PIN in the environment, or SCOLLECT_CREDENTIALS_FILE to a file of mode 0600 holding them (never in the pipeline file)")
                throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
            }
            return Resolved(target: RunTarget(baseURL: baseURL, credentials: Credentials(apikey: apikey, pin: pin), description: baseURL,
                                              journalPath: journalPath(forURL: baseURL), factorsNetwork: factorsNetwork), sandbox: nil)
        }
        let database = embeddedDatabase
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: database).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var sandboxConfig = SandboxConfiguration(databasePath: database, port: 0, seedFiles: target.sandboxSeedFiles)
        sandboxConfig.host = "127.0.0.1"
        let server: SandboxServer
        do {
            server = try SandboxServer.start(sandboxConfig)
        } catch {
            printError("error: cannot start the embedded sandbox: \(error)")
            throw ExitCode(ScollectETL.ExitCode.apiUnavailable.rawValue)
        }
        log("""
        ************************************************************************
        *  EMBEDDED SANDBOX: SCOLLECT_URL is not set and the pipeline's target  *
        *  is "sandbox". Working on a local sandbox, not a real Scollect:      *
        *    \(server.baseURL.padding(toLength: 66, withPad: " ", startingAt: 0))*
        *    database \(database.padding(toLength: 57, withPad: " ", startingAt: 0))*
        ************************************************************************
        """)
        let apikey = env["SCOLLECT_APIKEY"].flatMap { $0.isEmpty ? nil : $0 } ?? sandboxConfig.apikey
        let pin = env["SCOLLECT_PIN"].flatMap { $0.isEmpty ? nil : $0 } ?? sandboxConfig.pin
        return Resolved(target: RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: apikey, pin: pin),
                                          description: "embedded sandbox \(server.baseURL) (\(database))",
                                          journalPath: env["SCOLLECT_JOURNAL"].flatMap { $0.isEmpty ? nil : $0 }
                                              ?? ".scollect/journals/sandbox-\(server.store.instanceID).sqlite",
                                          // The sandbox's Factors Network emulation unless FACTORS_NETWORK_URL names one.
                                          factorsNetwork: factorsNetwork ?? FactorsNetworkTarget(baseURL: server.factorsNetworkURL,
                                              user: sandboxConfig.factorsNetworkUser, password: sandboxConfig.factorsNetworkPassword)),
                        sandbox: server)
    }

    /// `SCOLLECT_APIKEY` + `SCOLLECT_PIN`, else the file `SCOLLECT_CREDENTIALS_FILE` names:
    /// `SCOLLECT_APIKEY=…` and `SCOLLECT_PIN=…` lines, readable by its owner only. A file that
    /// others can read is refused: a credential is only as secret as its least careful copy.
    static func credentials(_ env: [String: String]) throws -> (String, String)? {
        if let apikey = env["SCOLLECT_APIKEY"], !apikey.isEmpty, let pin = env["SCOLLECT_PIN"], !pin.isEmpty { return (apikey, pin) }
        guard let path = env["SCOLLECT_CREDENTIALS_FILE"], !path.isEmpty else { return nil }
        var info = stat()
        guard stat(path, &info) == 0 else {
            printError("error: SCOLLECT_CREDENTIALS_FILE \(path): \(String(cString: strerror(errno)))")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        guard info.st_mode & 0o077 == 0 else {
            printError("error: SCOLLECT_CREDENTIALS_FILE \(path) can be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): run chmod 600 \(path)")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { values[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        guard let apikey = values["SCOLLECT_APIKEY"], !apikey.isEmpty, let pin = values["SCOLLECT_PIN"], !pin.isEmpty else {
            printError("error: SCOLLECT_CREDENTIALS_FILE \(path) must hold SCOLLECT_APIKEY=… and SCOLLECT_PIN=… lines")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        return (apikey, pin)
    }

    /// The journal of the target a command without a pipeline means: `SCOLLECT_JOURNAL`, else
    /// SCOLLECT_URL's server's, else the embedded sandbox's (nil when it has no database yet).
    static func defaultJournalPath() throws -> String? {
        let env = ProcessInfo.processInfo.environment
        if let path = env["SCOLLECT_JOURNAL"], !path.isEmpty { return path }
        if let url = env["SCOLLECT_URL"], !url.isEmpty { return journalPath(forURL: url) }
        guard FileManager.default.fileExists(atPath: embeddedDatabase) else { return nil }
        let store = try SandboxStore.open(path: embeddedDatabase)
        defer { store.close() }
        return ".scollect/journals/sandbox-\(store.instanceID).sqlite"
    }

    /// One journal per target: `SCOLLECT_JOURNAL`, else `.scollect/journals/<host_port_path>.sqlite`.
    /// (The embedded sandbox's journal is keyed by its database's identity, so a reset sandbox
    /// starts a new journal.)
    static func journalPath(forURL url: String) -> String {
        if let path = ProcessInfo.processInfo.environment["SCOLLECT_JOURNAL"], !path.isEmpty { return path }
        let components = URLComponents(string: url)
        let name = [components?.host, components?.port.map(String.init), components?.path]
            .compactMap { $0 }.joined(separator: "_")
            .map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }
        return ".scollect/journals/\(String(name).trimmingCharacters(in: CharacterSet(charactersIn: "_"))).sqlite"
    }
}

enum ExitCodeHelp {
    static var table: String {
        "Exit codes (run, plan, demo; validate exits 0 or 2, preview and guess 0, 2 or 4):\n"
            + ScollectETL.ExitCode.allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n")
    }
}

func printError(_ message: String) {
    // Errors quote server answers and file values: no control character reaches the terminal.
    FileHandle.standardError.write(Data((TerminalText.printable(message, keepingNewlines: true) + "\n").utf8))
}
