import ArgumentParser
import Foundation
import ScollectETL
import ScollectSandbox

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Load the sample nightly placement into a freshly seeded embedded sandbox and show the reports.",
        discussion: """
        Resets the embedded sandbox (\(TargetResolver.sandboxDatabase)) to its seed, runs \
        Pipelines/nightly-placement.yml against it and checks that every row was counted once. \
        The sample file has deliberate bad rows, so the run itself ends "done with rejects" (1); \
        the demo exits 0 when the run completed and its counts add up. Its reports, report.html \
        among them, are in reports/nightly-placement/<run id>/. Outside a repository checkout, \
        the installed samples (/usr/share/scollect-etl, or SCOLLECT_SHARE_DIR) are copied to \
        ./scollect-etl-demo/ and the demo runs there.

        Examples:
          scollect-etl demo
          scollect-etl demo --verbose      # also one line per API request
        """
    )

    @Option(help: ArgumentHelp("The pipeline to demonstrate.", valueName: "file"))
    var pipeline = "Pipelines/nightly-placement.yml"

    @OptionGroup var output: OutputOptions

    mutating func run() throws {
        // Outside a checkout, an installed package's samples (copied to ./scollect-etl-demo/).
        if !FileManager.default.fileExists(atPath: pipeline), !pipeline.hasPrefix("/"),
           let share = InstalledSamples.shareFolder(containing: pipeline) {
            let folder = try InstalledSamples.workingCopy(from: share, log: { printError($0) })
            FileManager.default.changeCurrentDirectoryPath(folder)
            pipeline = folder + "/" + pipeline
        }
        guard FileManager.default.fileExists(atPath: pipeline) else {
            printError("error: \(pipeline) not found: run the demo from the repository's root folder")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        if ProcessInfo.processInfo.environment["SCOLLECT_URL"].map({ !$0.isEmpty }) == true {
            printError("error: the demo always runs against the embedded sandbox; unset SCOLLECT_URL (use `run` for a real server)")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        let config = try PipelineLoader.load(path: pipeline)
        try PrivateFile.createDirectory(".scollect")
        try SandboxDatabase.reset(path: TargetResolver.sandboxDatabase, seedFiles: config.target.sandboxSeedFiles)
        printError("demo: sandbox reset to its seed (\(TargetResolver.sandboxDatabase))")

        let summary = try runPipeline(at: pipeline, input: nil, level: output.level)
        let counted = summary.written + summary.unchanged + summary.rejected
        print("")
        print("rows read \(summary.rowsRead) = written \(summary.written) + unchanged \(summary.unchanged) + rejected \(summary.rejected): \(counted == summary.rowsRead ? "every row accounted for" : "MISMATCH")")
        print("reports:")
        print("  zcat \(summary.reportFolder)/rejects.csv.gz | less -S   # the bad rows, fixable and re-feedable")
        print("  zcat \(summary.reportFolder)/audit.jsonl.gz | less -S   # every API call, secrets masked")
        print("  cat  \(summary.reportFolder)/summary.json")
        print("  open \(summary.reportFolder)/\(HTMLRunReport.fileName)      # charts and tables, opens offline")
        guard summary.exitCode == .done || summary.exitCode == .doneWithRejects, counted == summary.rowsRead else {
            throw ExitCode(summary.exitCode == .done || summary.exitCode == .doneWithRejects ? 1 : summary.exitCode.rawValue)
        }
    }
}
