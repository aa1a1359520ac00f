import ArgumentParser
import Foundation
import ScollectETL

/// `scollect-etl rollback RUN`: restores the dbase fields a run changed.
struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Put back the dbase fields a run changed (its id from `scollect-etl runs`).",
        discussion: """
        Each field the run changed through updatedbase is read back (getaccount) and restored to \
        the value the journal recorded before the run, unless someone changed it since: those are \
        left alone and listed. Phones, notes and payments the run inserted cannot be deleted \
        through the API: they are listed, not undone. The rollback is recorded as a run of its own.

        The target is SCOLLECT_URL (with SCOLLECT_APIKEY and SCOLLECT_PIN), else the pipeline's \
        (--pipeline), else the embedded sandbox.

        Example:
          scollect-etl runs
          scollect-etl rollback 20261123T221500Z-1a2b3c4d --dry-run
          scollect-etl rollback 20261123T221500Z-1a2b3c4d

        Exit 0: every field restored or already back; 1: some were left (changed since) or \
        failed; 2: no such run. The exit codes are listed in scollect-etl --help.
        """
    )

    @Argument(help: "The id of the run to roll back.")
    var runId: String

    @Option(help: "The pipeline the run used: its target and pace are used.")
    var pipeline: String?

    @Option(help: "The journal file (default: the target's).")
    var journal: String?

    @Flag(help: "Read the accounts and say what would be restored; change nothing.")
    var dryRun = false

    @Option(help: "Calls per second (default: the pipeline's, else 20), within the tenant's rate budget shared with its runs.")
    var rate: Double?

    func run() throws {
        let target: PipelineConfig.Target
        if let pipeline {
            target = try loadPipeline { try PipelineLoader.load(path: pipeline) }.target
        } else {
            target = .embeddedSandbox()
        }
        let resolved = try TargetResolver.resolve(target, log: CommandLog.logger)
        defer { resolved.sandbox?.stop() }
        guard let journalPath = journal ?? resolved.target.journalPath,
              JournalLocation.isPostgres(journalPath) || FileManager.default.fileExists(atPath: journalPath) else {
            printError("error: no run journal for this target (no run has been made against it)")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        let runJournal = try openRunJournal(journalPath)
        var options = RollbackRunner.Options()
        options.dryRun = dryRun
        options.requestsPerSecond = rate ?? target.requestsPerSecond
        // The tenant's budget is the pipeline's, whatever --rate says of the rollback's own pace;
        // without a pipeline, the rollback's own rate.
        if pipeline != nil { options.tenantRequestsPerSecond = target.tenantRequestsPerSecond ?? target.requestsPerSecond }
        options.maxInFlight = target.maxInFlight
        options.log = CommandLog.logger
        // The rollback's audit goes beside the run's own reports when the journal knows them.
        let runFolder = (try? runJournal.run(id: runId))??.summary?["report_folder"]?.stringValue
        let reportFolder = runFolder.map { URL(fileURLWithPath: $0).path } ?? StateDirectory.current.path + "/rollbacks"
        let report = RollbackRunner(journal: runJournal, runId: runId, target: resolved.target, options: options).run(reportFolder: reportFolder)
        // No such run: the error alone, no empty header.
        if report.exitCode != .badPipelineOrArguments { print(RollbackCommand.describe(report, dryRun: dryRun)) }
        if let reason = report.abortReason { printError("error: \(reason)") }
        throw ExitCode(report.exitCode.rawValue)
    }

    static func describe(_ report: RollbackRunner.Report, dryRun: Bool) -> String {
        var lines = ["rollback \(report.rollbackId) of run \(report.runId)" + (dryRun ? " (dry run: nothing changed)" : "")]
        var counts: [String: Int] = [:]
        for (_, outcome) in report.outcomes {
            switch outcome {
            case .restored: counts["restored", default: 0] += 1
            case .wouldRestore: counts["would be restored", default: 0] += 1
            case .alreadyPrevious: counts["already at the previous value", default: 0] += 1
            case .changedSince: counts["changed since the run, left alone", default: 0] += 1
            case .failed: counts["failed", default: 0] += 1
            }
        }
        lines.append("fields: \(report.outcomes.count)")
        for key in counts.keys.sorted() { lines.append("  \(key): \(counts[key]!)") }
        for (change, current) in report.changedSince {
            lines.append("  left alone: \(change.filenumber) \(change.field) is now \"\(Masking.maskValue(current ?? "", forField: change.field))\", the run wrote \"\(Masking.maskValue(change.runValue, forField: change.field))\"")
        }
        for (change, outcome) in report.outcomes {
            if case let .failed(message) = outcome { lines.append("  failed: \(change.filenumber) \(change.field): \(message)") }
        }
        if !report.accountsMissing.isEmpty { lines.append("accounts no longer found: \(report.accountsMissing.joined(separator: ", "))") }
        if !report.notUndone.isEmpty {
            lines.append("inserts the API cannot undo (\(report.notUndone.count)):")
            lines.append(contentsOf: report.notUndone.prefix(50).map { "  \($0)" })
            if report.notUndone.count > 50 { lines.append("  … and \(report.notUndone.count - 50) more") }
        }
        if let audit = report.auditPath { lines.append("audit: \(audit)") }
        return lines.joined(separator: "\n")
    }
}
