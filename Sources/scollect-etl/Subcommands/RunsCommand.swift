import ArgumentParser
import Foundation
import ScollectETL
import ScollectSandbox

/// `scollect-etl runs`: the past runs recorded in the target's journal, newest first.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List past runs from the target's run journal (id, pipeline, input, counts, exit code).",
        discussion: """
        The journal is SCOLLECT_JOURNAL, else the one of SCOLLECT_URL's server, else the \
        embedded sandbox's (sandbox.sqlite in the state directory). The exit column uses \
        the codes listed in scollect-etl --help.

        Examples:
          scollect-etl runs
          scollect-etl runs --limit 50 --journal /srv/scollect/journal.sqlite
        """
    )

    @Option(help: "The journal file (default: the target's, as above).")
    var journal: String?

    @Option(name: .shortAndLong, help: "How many runs.")
    var limit = 20

    func run() throws {
        guard let path = try journal ?? TargetResolver.defaultJournalPath(), FileManager.default.fileExists(atPath: path) else {
            print("no run journal found (no run has been made against this target yet)")
            return
        }
        let runs = try openRunJournal(path).runs(limit: limit)
        var table = [["run", "pipeline", "input", "started", "read", "written", "unchanged", "rejected", "exit"]]
        for run in runs {
            func count(_ key: String) -> String { run.summary?[key]?.stringValue ?? "" }
            table.append([run.runId, run.pipeline, run.inputName, run.started, count("rows_read"), count("written"), count("unchanged"),
                          count("rejected"), run.exitCode.map { "\($0) \(ScollectETL.ExitCode(rawValue: Int32($0))?.meaning ?? "")" } ?? "unfinished"])
        }
        let widths = (0..<table[0].count).map { column in table.map { $0[column].count }.max() ?? 0 }
        print("journal \(path)")
        for row in table {
            print(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces))
        }
    }
}
