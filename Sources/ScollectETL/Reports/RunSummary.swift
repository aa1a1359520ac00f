import Foundation

/// What a run did, counted as it went. Every data row is exactly one of written, unchanged or
/// rejected; `notProcessed` is non-zero only when a run was aborted or interrupted.
public struct RunSummary: Sendable {
    public var runId = ""
    /// The tool that made the run: `0.2.0 (git abc1234)`.
    public var toolVersion = ScollectETLVersion.current
    public var pipeline = ""
    public var inputFile = ""
    public var target = ""
    public var rowsRead = 0
    public var written = 0
    public var unchanged = 0
    /// Of the unchanged rows: payments an earlier run had booked (a resumed import).
    public var alreadyBooked = 0
    /// Of the unchanged rows: rows an earlier run of the same file settled (a resumed run does
    /// not read or compare them again).
    public var settledEarlier = 0
    public var rejected = 0
    public var rejectsByReason: [ReasonCode: Int] = [:]
    public var warningsByReason: [ReasonCode: Int] = [:]
    public var callsByEndpoint: [String: Int] = [:]
    public var callsFailed = 0
    public var elapsedSeconds = 0.0
    public var exitCode: ExitCode = .done
    public var abortReason: String?
    public var reportFolder = ""
    /// The acknowledgement file for the creditor, when the pipeline asks for one.
    public var acknowledgementFile: String?
    /// `plan`: the writes the run would make, per endpoint (none was sent).
    public var plannedWrites: [String: Int] = [:]
    /// How the input was read, when a person should know (a guessed encoding).
    public var notices: [String] = []
    /// The audit's requests as the HTML report shows them, gathered while they were written
    /// (nil: the report reads `audit.jsonl.gz` back). Not part of `summary.json`.
    public var auditStatistics: AuditStatistics?

    public var callsMade: Int { callsByEndpoint.values.reduce(0, +) }
    public var accountedRows: Int { written + unchanged + rejected }
    /// Rejected rows a later run of the same file may clear (`ReasonCode.isRetryable`): while
    /// any is left, the same command again resumes the file instead of refusing it.
    public var rowsToRetry: Int { rejectsByReason.filter { $0.key.isRetryable }.values.reduce(0, +) }

    public var json: JSONValue {
        func counts(_ dictionary: [String: Int]) -> JSONValue {
            .object(dictionary.keys.sorted().map { ($0, .number(Double(dictionary[$0]!))) })
        }
        return .object([
            ("run_id", .string(runId)), ("version", .string(toolVersion)), ("pipeline", .string(pipeline)), ("input", .string(inputFile)), ("target", .string(target)),
            ("rows_read", .number(Double(rowsRead))), ("written", .number(Double(written))),
            ("unchanged", .number(Double(unchanged))), ("already_booked", .number(Double(alreadyBooked))),
            ("settled_earlier", .number(Double(settledEarlier))), ("rows_to_retry", .number(Double(rowsToRetry))),
            ("rejected", .number(Double(rejected))),
            ("rejects_by_reason", counts(Dictionary(uniqueKeysWithValues: rejectsByReason.map { ($0.key.rawValue, $0.value) }))),
            ("warnings_by_reason", counts(Dictionary(uniqueKeysWithValues: warningsByReason.map { ($0.key.rawValue, $0.value) }))),
            ("calls_made", .number(Double(callsMade))), ("calls_by_endpoint", counts(callsByEndpoint)),
            ("calls_failed", .number(Double(callsFailed))), ("elapsed_seconds", .number((elapsedSeconds * 100).rounded() / 100)),
            ("exit_code", .number(Double(exitCode.rawValue))), ("exit_meaning", .string(exitCode.meaning)),
            ("abort_reason", abortReason.map(JSONValue.string) ?? .null), ("report_folder", .string(reportFolder)),
            ("acknowledgement", acknowledgementFile.map(JSONValue.string) ?? .null),
            ("notices", .array(notices.map(JSONValue.string))),
            ("planned_writes", counts(plannedWrites)),
        ])
    }

    /// The end-of-run table for a terminal.
    public var table: String {
        var lines: [(String, String)] = [
            ("run", runId), ("pipeline", pipeline), ("input", inputFile), ("target", target),
            ("rows read", "\(rowsRead)"), ("  written", "\(written)"), ("  unchanged", "\(unchanged)" + (alreadyBooked > 0 ? " (\(alreadyBooked) booked by an earlier run)" : "")
                + (settledEarlier > 0 ? " (\(settledEarlier) settled by an earlier run)" : "")),
            ("  rejected", "\(rejected)"),
        ]
        for (reason, count) in rejectsByReason.sorted(by: { $0.key < $1.key }) { lines.append(("    \(reason.rawValue)", "\(count)")) }
        if !warningsByReason.isEmpty {
            lines.append(("warnings", "\(warningsByReason.values.reduce(0, +))"))
            for (reason, count) in warningsByReason.sorted(by: { $0.key < $1.key }) { lines.append(("    \(reason.rawValue)", "\(count)")) }
        }
        lines.append(("calls made", "\(callsMade)"))
        for (endpoint, count) in callsByEndpoint.sorted(by: { $0.key < $1.key }) { lines.append(("    \(endpoint)", "\(count)")) }
        lines.append(("calls failed", "\(callsFailed)"))
        lines.append(("elapsed", String(format: "%.2f s", elapsedSeconds)))
        for notice in notices { lines.append(("notice", notice)) }
        if let abortReason { lines.append((exitCode == .inputHeld ? "HELD" : "ABORTED", abortReason)) }
        lines.append(("exit code", "\(exitCode.rawValue) (\(exitCode.meaning))"))
        lines.append(("reports", reportFolder))
        if let acknowledgementFile { lines.append(("acknowledgement", acknowledgementFile)) }
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}
