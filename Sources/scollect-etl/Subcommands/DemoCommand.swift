import ArgumentParser
import Foundation
import ScollectETL
import ScollectSandbox

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Load the sample nightly placement into a freshly seeded embedded sandbox and show the reports.",
        discussion: """
        Resets the embedded sandbox (sandbox.sqlite in the state directory) to its seed, runs \
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

    /// `xdg-open` when on the PATH (a Linux desktop), `open` on macOS; nil on a server. (On
    /// Debian, `open` is openvt.)
    static func pageOpener() -> String? {
        #if os(macOS)
        return "open"
        #else
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["xdg-open"] where path.split(separator: ":").contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }) {
            return name
        }
        return nil
        #endif
    }

    mutating func run() throws {
        // Outside a checkout, an installed package's samples (copied to ./scollect-etl-demo/).
        if !FileManager.default.fileExists(atPath: pipeline), !pipeline.hasPrefix("/"),
           let share = InstalledSamples.shareFolder(containing: pipeline) {
            let folder = try InstalledSamples.workingCopy(from: share, log: { printError($0) })
            guard FileManager.default.changeCurrentDirectoryPath(folder) else {
                printError("error: cannot change to the demo's folder \(folder)")
                throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
            }
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
        let database = TargetResolution.embeddedDatabase(env: ProcessInfo.processInfo.environment)
        try SandboxCommand.prepareFolder(of: database)
        try SandboxDatabase.reset(path: database, seedFiles: config.target.sandboxSeedFiles)
        if !output.quiet { printError("demo: sandbox reset to its seed (\(database))") }

        let summary = try runPipeline(at: pipeline, input: nil, output: output)
        let counted = summary.written + summary.unchanged + summary.rejected
        guard !output.quiet else {
            // --quiet: the run's one line says it all; the check still decides the exit code.
            guard summary.exitCode == .done || summary.exitCode == .doneWithRejects, counted == summary.rowsRead else {
                printError("error: rows read \(summary.rowsRead) but written + unchanged + rejected = \(counted)")
                throw ExitCode(summary.exitCode == .done || summary.exitCode == .doneWithRejects ? 1 : summary.exitCode.rawValue)
            }
            return
        }
        print("")
        print("rows read \(summary.rowsRead) = written \(summary.written) + unchanged \(summary.unchanged) + rejected \(summary.rejected): \(counted == summary.rowsRead ? "every row accounted for" : "MISMATCH")")
        print("reports:")
        print("  zcat \(summary.reportFolder)/rejects.csv.gz | less -S   # the bad rows, fixable and re-feedable")
        print("  zcat \(summary.reportFolder)/audit.jsonl.gz | less -S   # every API call, secrets masked")
        print("  cat  \(summary.reportFolder)/summary.json")
        let page = "\(summary.reportFolder)/\(HTMLRunReport.fileName)"
        if let opener = DemoCommand.pageOpener() {
            print("  \(opener) \(page)   # charts and tables, opens offline")
        } else {
            print("  \(page)   # charts and tables: open it in a browser (offline)")
        }
        guard summary.exitCode == .done || summary.exitCode == .doneWithRejects, counted == summary.rowsRead else {
            throw ExitCode(summary.exitCode == .done || summary.exitCode == .doneWithRejects ? 1 : summary.exitCode.rawValue)
        }
    }
}
