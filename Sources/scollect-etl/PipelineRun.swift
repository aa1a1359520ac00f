import ArgumentParser
import Foundation
import Logging
import ScollectETL

/// Shared by `run`, `plan` and `demo`: load the pipeline, resolve the target (starting the
/// embedded sandbox if that is the target), run with a progress display, write the HTML report,
/// print the summary, tell the on_failure command.
func runPipeline(at path: String, input: String?, output: OutputOptions, dryRun: Bool = false,
                 summaryJSONFile: String? = nil, force: Bool = false, date: Date = Date()) throws -> RunSummary {
    let level = output.level
    let display = output.makeDisplay()
    var config: PipelineConfig
    switch try loadPipeline({ try PipelineFile.load(path: path) }) {
    case let .export(export):
        // An export pipeline (source: { scollect: … }) reads from Scollect into a file.
        let summary = try runExportPipeline(export, display: display)
        writeSummaryJSON(summary, to: summaryJSONFile)
        return summary
    case let .load(load):
        config = load
    }
    // A dated or globbed source names the night's files; each is a run of its own.
    var inputs = [config.source.path]
    if input == nil, InputFiles.isPattern(config.source.path) {
        inputs = InputFiles.resolve(config.source.path, date: date)
        guard !inputs.isEmpty else {
            printError("error: no input file matches \(InputFiles.fillDate(config.source.path, date: date)) (source.file \(config.source.path))")
            throw ExitCode(ScollectETL.ExitCode.inputHeld.rawValue)
        }
    }
    let resolved = try TargetResolver.resolve(config.target, log: CommandLog.logger)
    defer { resolved.sandbox?.stop() }

    var options = commandLineRunOptions()
    options.inputOverride = input
    options.dryRun = dryRun
    options.force = force
    options.progress = { display.update($0) }
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
    let log = runLogger(options.log, summary, pipeline: config.name)

    var reportFiles = ["rejects.csv.gz", "audit.jsonl.gz", "summary.json"]
    // A run held before its first request (a journal it cannot open) has a folder but no audit.
    if !dryRun && !summary.reportFolder.isEmpty && FileManager.default.fileExists(atPath: summary.reportFolder + "/audit.jsonl.gz") {
        do {
            try HTMLRunReport.write(summary: summary, folder: summary.reportFolder)
            reportFiles.append(HTMLRunReport.fileName)
        } catch {
            log.error("the HTML report could not be written: \(error)")
        }
    }
    if dryRun {
        print(PlanCommand.table(summary, config: config))
    } else if level == .quiet {
        print(RunSummaryTable.oneLine(summary))
    } else {
        print(RunSummaryTable.render(summary, progress: display.latest, reportFiles: reportFiles))
    }
    // The table shows why the run stopped; the plan, the one summary line and a log system need it said.
    if let reason = summary.abortReason, dryRun || level == .quiet || display.format == .json { log.error("\(reason)") }
    writeSummaryJSON(summary, to: summaryJSONFile)
    if !dryRun, let onFailure = config.onFailure, onFailure.applies(to: summary.exitCode) {
        tellFailureCommand(onFailure, summary: summary, summaryJSONFile: summaryJSONFile, log: log)
    }
    return summary
}

/// The command's logger with the run's context, for what is said about a run after it ended.
func runLogger(_ base: Logger, _ summary: RunSummary, pipeline: String) -> Logger {
    var log = base
    if !summary.runId.isEmpty { log[metadataKey: "run_id"] = "\(summary.runId)" }
    log[metadataKey: "pipeline"] = "\(pipeline)"
    log[metadataKey: "input"] = "\(summary.inputFile)"
    log[metadataKey: "target"] = "\(summary.target)"
    return log
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
    try? PrivateFile.write(summary.json.serialized + "\n", to: path)
}

/// Runs the pipeline's on_failure command with the summary. A run stopped before its reports
/// folder existed (a held input) has no summary.json there: a temporary copy is handed over.
func tellFailureCommand(_ command: FailureCommand, summary: RunSummary, summaryJSONFile: String?, log: Logger) {
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

/// What every run from the command line shares: the command's logger (the progress display's
/// handler), the version with its git revision, and Ctrl-C / SIGTERM taken as "stop after the
/// calls in flight".
func commandLineRunOptions() -> RunOptions {
    var options = RunOptions()
    options.log = CommandLog.logger
    options.toolVersion = toolVersion
    options.stateFolder = StateDirectory.current.path
    options.isInterrupted = { Interruption.requested }
    Interruption.install()
    return options
}
