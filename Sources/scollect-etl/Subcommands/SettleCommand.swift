import ArgumentParser
import Foundation
import ScollectETL

/// `scollect-etl settle RUN ROW --as confirmed|absent`: an operator records what they found on
/// the server for a row whose outcome is unknown (`OUTCOME_UNKNOWN`), so it neither blocks later
/// files (a payment reference) nor is sent again when it is there.
struct SettleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settle",
        abstract: "Record what you found on the server for a row whose outcome is unknown.",
        discussion: """
        A write whose answer was lost and that no read could settle is rejected OUTCOME_UNKNOWN \
        and never sent again on its own. Check the account (its payments, notes, callbacks), then:

          confirmed  the write is on the server: it counts as made (a later file with the same \
        payment reference is a duplicate)
          absent     it is not: it counts as refused, and a later run of the file may send it

        The settlement is recorded in the journal as a run of its own (scollect-etl runs lists \
        it), and in the settled entries' messages. Exits 0 when something was settled, 2 when \
        the run has no open write at that row.

        Examples:
          scollect-etl settle 20261202T031500Z-1a2b3c4d 17 --as confirmed
          scollect-etl settle 20261202T031500Z-1a2b3c4d 17 --as absent --journal /srv/scollect/journal.sqlite
        """
    )

    enum Finding: String, ExpressibleByArgument, CaseIterable {
        case confirmed, absent
    }

    @Argument(help: "The run id (scollect-etl runs).")
    var runId: String

    @Argument(help: "The row of the run's input file (as in its rejects report).")
    var row: Int

    @Option(name: .customLong("as"), help: "What the server shows: confirmed or absent.")
    var finding: Finding

    @Option(help: "The journal file (default: the target's, as for scollect-etl runs).")
    var journal: String?

    func run() throws {
        guard let path = try journal ?? TargetResolver.defaultJournalPath(), FileManager.default.fileExists(atPath: path) else {
            printError("error: no run journal found (set SCOLLECT_JOURNAL or --journal)")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        let journal = try openRunJournal(path)
        guard try journal.run(id: runId) != nil else {
            printError("error: no run \(runId) in the journal \(path) (scollect-etl runs lists them)")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        let user = ProcessInfo.processInfo.environment["USER"] ?? "an operator"
        let note = "settled by hand as \(finding.rawValue) by \(user) at \(ISO8601DateFormatter().string(from: Date()))"
        let settled = try journal.settleByHand(runId: runId, sourceRow: row, confirmed: finding == .confirmed, note: note)
        guard settled.entries + settled.changes > 0 else {
            printError("error: run \(runId) has no write of row \(row) whose outcome is open: nothing to settle")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        let id = "settle-" + UUID().uuidString.prefix(8).lowercased()
        try journal.beginRun(id: id, pipeline: "settle", inputName: runId, inputDigest: "settle:\(runId):\(row)", target: path)
        try journal.finishRun(id: id, exitCode: 0, summary: JSONValue.object([
            ("settles", .string(runId)), ("row", .number(Double(row))), ("as", .string(finding.rawValue)),
            ("entries", .number(Double(settled.entries))), ("changes", .number(Double(settled.changes))),
        ]).serialized)
        print("run \(runId) row \(row): \(settled.entries) payment entr\(settled.entries == 1 ? "y" : "ies") and \(settled.changes) insert(s) \(note)")
    }
}
