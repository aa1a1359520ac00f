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
        The exit codes are listed in scollect-etl --help; under an orchestrator that retries \
        any non-zero exit (a Kubernetes Job, Airflow), --rejects-exit-zero makes a night with \
        rejects exit 0 (the rejects are still in the summary and the reports).
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

    @Flag(help: "Exit 0 instead of 1 when the run is done with rejects (the summary still counts them), for an orchestrator that retries any non-zero exit.")
    var rejectsExitZero = false

    @Option(help: ArgumentHelp("The date that fills a dated source.file name (default: today).", valueName: "yyyy-mm-dd"))
    var date: String?

    mutating func run() throws {
        let summary = try runPipeline(at: pipeline, input: input, output: output, summaryJSONFile: summaryJson,
                                      force: force, date: try parsedDate(date))
        throw ExitCode(RunCommand.processExitCode(summary.exitCode, rejectsExitZero: rejectsExitZero))
    }

    /// The run's code, except "done with rejects" under --rejects-exit-zero.
    static func processExitCode(_ code: ScollectETL.ExitCode, rejectsExitZero: Bool) -> Int32 {
        code == .doneWithRejects && rejectsExitZero ? ScollectETL.ExitCode.done.rawValue : code.rawValue
    }
}
