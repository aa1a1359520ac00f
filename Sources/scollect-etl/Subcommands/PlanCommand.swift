import ArgumentParser
import Foundation
import ScollectETL

/// `scollect-etl plan PIPELINE`: a dry run. Reads and normalises the whole input, reads the
/// accounts as a run would (those reads are real calls), writes the rejects report, and prints
/// the writes the run would make per endpoint, at what pace and how long that takes.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Dry run: what a run would send, per endpoint, and how long it takes at the pipeline's pace. No write call is made.",
        discussion: """
        The reads a run makes to compare (getaccount, getphones, getpayments) are made, so the \
        counts are those of a run started now. The rejects report is written as by a run. Exit codes as for run \
        (see scollect-etl --help).

        Examples:
          scollect-etl plan Pipelines/nightly-placement.yml
          scollect-etl plan Pipelines/bulk-payments.yml --input payments.csv
        """
    )

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(help: "Read this file instead of the pipeline's source.")
    var input: String?

    @OptionGroup var output: OutputOptions

    mutating func run() throws {
        if PipelineFile.kind(path: pipeline) == .export {
            printError("error: \(pipeline) is an export pipeline: it only reads from Scollect, there is nothing to plan (run it)")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        let summary = try runPipeline(at: pipeline, input: input, output: output, dryRun: true)
        throw ExitCode(summary.exitCode.rawValue)
    }

    /// Calls per endpoint a run would make (the reads made now plus the writes not sent), and
    /// the time they take at the configured pace.
    static func table(_ summary: RunSummary, config: PipelineConfig) -> String {
        var calls = summary.callsByEndpoint
        for (endpoint, count) in summary.plannedWrites { calls[endpoint, default: 0] += count }
        let total = calls.values.reduce(0, +)
        let rate = config.target.requestsPerSecond
        let seconds = Double(total) / rate
        var lines: [(String, String)] = [
            ("plan", "\(summary.pipeline) (nothing was written)"),
            ("rows read", "\(summary.rowsRead): to write \(summary.written), unchanged \(summary.unchanged), rejected \(summary.rejected)"),
            ("calls a run makes", "\(total)"),
        ]
        for (endpoint, count) in calls.sorted(by: { $0.key < $1.key }) {
            let kind = summary.plannedWrites[endpoint] != nil ? "write" : "read"
            lines.append(("    \(endpoint)", "\(count)  (\(kind))"))
        }
        lines.append(("pace", String(format: "%g requests/s, %d in flight", rate, config.target.maxInFlight)))
        lines.append(("duration at that pace", String(format: "%.0f s (%.1f min), plus the server's answer times", seconds.rounded(.up), seconds / 60)))
        lines.append(("rejects report", summary.reportFolder + "/rejects.csv.gz"))
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}
