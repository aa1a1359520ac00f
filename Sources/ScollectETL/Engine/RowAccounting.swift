import Foundation

/// What became of one row after its calls.
enum RowOutcome {
    /// With the summaries of the calls made (`updatedbase address`), for the acknowledgement.
    case written([String])
    case unchanged
    /// Every write of the row was booked by an earlier run (a resumed payment import).
    case alreadyBooked
    /// An earlier run of the file settled the row (the run named): not read or compared again.
    case settledEarlier(String)
    case rejected(RowIssue, callsMade: [String])
}

/// Where every row of a load run ends, exactly once: counted in the summary as written,
/// unchanged or rejected, and reported (rejects and warnings, acknowledgement lines). Lines of
/// a batch are collected and written in row order when the batch is flushed.
final class RowAccounting {
    private(set) var summary: RunSummary
    private let reports: RunReports
    private let mapper: RowMapper
    /// The client's reference column, for the acknowledgement (looked up once).
    private let referenceColumn: Int?
    private var pendingLines: [RejectLine] = []
    private var pendingAcknowledgements: [AcknowledgementReport.Line] = []
    /// Where rows ended, for the journal: a resumed run skips those settled for good.
    private let effects: EffectJournal?
    private var pendingOutcomes: [(row: Int, outcome: String, reason: String?)] = []

    init(summary: RunSummary, reports: RunReports, mapper: RowMapper, effects: EffectJournal? = nil) {
        self.summary = summary
        self.reports = reports
        self.mapper = mapper
        self.effects = effects
        referenceColumn = mapper.sourceColumn(of: "accountnumber")
    }

    func rowRead() { summary.rowsRead += 1 }

    func warnings(_ warnings: [RowIssue], of record: SourceRecord) {
        for warning in warnings {
            summary.warningsByReason[warning.reason, default: 0] += 1
            pendingLines.append(RejectLine(row: record.row, line: record.line, kind: .warning, reason: warning.reason, field: warning.field,
                                           message: warning.message, callsMade: [], values: record.values, rawText: nil))
        }
    }

    func reject(_ record: SourceRecord?, row: Int, line: Int, issue: RowIssue, others: [RowIssue] = [], callsMade: [String] = [],
                rawText: String? = nil) {
        summary.rejected += 1
        summary.rejectsByReason[issue.reason, default: 0] += 1
        pendingOutcomes.append((row, issue.reason.isRetryable ? "retry" : "rejected", issue.reason.rawValue))
        let message = ([issue] + others).map(\.message).joined(separator: "; ")
        acknowledge(record, row: row, accepted: false, reason: issue.reason.rawValue, changes: [], message: message)
        pendingLines.append(RejectLine(row: row, line: line, kind: .reject, reason: issue.reason, field: issue.field, message: message,
                                       callsMade: callsMade, values: record?.values ?? [], rawText: rawText))
    }

    /// A row that went to the API: its warnings, then its outcome.
    func account(_ row: NormalizedRow, _ outcome: RowOutcome) {
        warnings(row.warnings, of: row.record)
        switch outcome {
        case let .written(changes):
            summary.written += 1
            pendingOutcomes.append((row.row, "written", nil))
            acknowledge(row.record, row: row.row, accepted: true, reason: "", changes: changes, message: "")
        case .unchanged:
            summary.unchanged += 1
            pendingOutcomes.append((row.row, "unchanged", nil))
            acknowledge(row.record, row: row.row, accepted: true, reason: "", changes: [], message: "")
        case .alreadyBooked:
            summary.unchanged += 1
            summary.alreadyBooked += 1
            acknowledge(row.record, row: row.row, accepted: true, reason: "", changes: [], message: "already loaded by an earlier run")
            pendingOutcomes.append((row.row, "unchanged", nil))
        case let .settledEarlier(runId):
            summary.unchanged += 1
            summary.settledEarlier += 1
            acknowledge(row.record, row: row.row, accepted: true, reason: "", changes: [], message: "settled by run \(runId)")
        case let .rejected(issue, callsMade):
            reject(row.record, row: row.row, line: row.record.line, issue: issue, callsMade: callsMade)
        }
    }

    /// Rows of a batch that was never sent (the run stopped at a reject limit).
    func notSent(_ rows: [NormalizedRow], because why: String) {
        for row in rows { reject(row.record, row: row.row, line: row.record.line, issue: RowIssue(.notAttempted, field: nil, why)) }
    }

    /// Writes the batch's lines, in row order (a row's warnings before its reject).
    func flush() {
        for line in pendingLines.sorted(by: { ($0.row, $0.kind == .warning ? 0 : 1) < ($1.row, $1.kind == .warning ? 0 : 1) }) {
            reports.add(line)
        }
        pendingLines.removeAll(keepingCapacity: true)
        for line in pendingAcknowledgements.sorted(by: { $0.row < $1.row }) { reports.add(line) }
        pendingAcknowledgements.removeAll(keepingCapacity: true)
        if let effects, !pendingOutcomes.isEmpty {
            // Lost only if the journal fails: a later run then reads those rows again.
            try? effects.recordRowOutcomes(pendingOutcomes)
        }
        pendingOutcomes.removeAll(keepingCapacity: true)
    }

    func note(_ notice: String) { summary.notices.append(notice) }

    /// The counts of calls, once the run has stopped calling.
    func callsEnded(byEndpoint: [String: Int], failed: Int, planned: [String: Int]) {
        summary.callsByEndpoint = byEndpoint
        summary.callsFailed = failed
        summary.plannedWrites = planned
    }

    private func acknowledge(_ record: SourceRecord?, row: Int, accepted: Bool, reason: String, changes: [String], message: String) {
        guard reports.acknowledgement != nil else { return }
        let reference = record.flatMap { record in referenceColumn.map { record.value(at: $0) } } ?? ""
        pendingAcknowledgements.append(.init(row: row, filenumber: record.flatMap(mapper.account(of:)) ?? "", clientReference: reference,
                                             accepted: accepted, reason: reason, changes: changes, message: message))
    }
}
