import Foundation

/// Reads the input a batch at a time: each row read, mapped and normalised, checked (the
/// whole-file checks' verdicts, the writers' own checks) and either kept for the API or
/// rejected at once through the row accounting. The trailer row is skipped. When a writer
/// plans whole accounts (payment plans), a batch ends only between accounts, and an account
/// whose rows are not together in the file is refused.
final class BatchAssembler {
    /// The rows of one batch that go to the API.
    struct Batch {
        var rows: [NormalizedRow] = []
        /// Rows read into this batch, kept or rejected.
        var rowsRead = 0
        /// Whole-account plans that must not be sent (a row of the account was rejected), by account.
        var planBlockers: [String: RowIssue] = [:]
        /// Nothing is left to read after this batch.
        var endOfInput = false
    }

    private let config: PipelineConfig
    /// The reader's records, mapped and normalised on two threads (in file order).
    private let input: MappingReadAhead
    private let mapper: RowMapper
    private let verdict: FileCheckVerdict
    private let inputName: String
    private let wholeAccounts: Bool
    private var carried: MappingReadAhead.Item?
    private var inputExhausted = false
    private var earlierBatchAccounts = Set<String>()
    /// How the reader splits a row's raw text (the trailer).
    private lazy var readerOptions: any ReaderOptions = (try? config.source.readerOptions()) ?? CSVReader.SourceOptions()

    init(config: PipelineConfig, reader: any RecordReader, mapper: RowMapper, verdict: FileCheckVerdict, inputName: String) {
        self.config = config
        self.input = MappingReadAhead(reader: reader, mapper: mapper)
        self.mapper = mapper
        self.verdict = verdict
        self.inputName = inputName
        // A payment plan built from rows needs all the rows of an account in one batch.
        wholeAccounts = config.writers.contains { $0.plansWholeAccount }
    }

    deinit { input.cancel() }

    /// Reads the next batch; rows rejected while reading are already accounted for.
    func next(_ accounting: RowAccounting) throws -> Batch {
        var batch = Batch()
        var lastFilenumber: String?
        while batch.rowsRead < config.target.batchSize || wholeAccounts {
            let next: ReadResult
            let mapped: RowMapper.Outcome?
            if let pending = carried {
                (next, mapped) = pending
                carried = nil
            } else if let item = try input.next() {
                (next, mapped) = item
            } else {
                inputExhausted = true
                break
            }
            // The trailer row carries the control total: checked in the first pass, not a data row.
            if config.checks.trailerCells(next, reader: readerOptions) != nil { continue }
            var account: String?
            if case let .record(record) = next {
                if case let .row(row)? = mapped { account = row.filenumber } else if wholeAccounts { account = mapper.account(of: record) }
            }
            if batch.rowsRead >= config.target.batchSize {
                // Past a full batch only to finish the last account's rows.
                guard account != nil, account == lastFilenumber else {
                    carried = (next, mapped)
                    break
                }
            }
            if account != nil { lastFilenumber = account }
            batch.rowsRead += 1
            accounting.rowRead()
            switch next {
            case let .malformed(row, line, message, rawText):
                accounting.reject(nil, row: row, line: line, issue: RowIssue(.malformedRow, field: nil, "\(inputName) row \(row) (line \(line)): \(message)"),
                                  rawText: rawText)
            case let .record(record):
                take(record, mapped!, account: account, into: &batch, accounting)
            }
        }
        batch.endOfInput = inputExhausted && carried == nil
        if wholeAccounts {
            earlierBatchAccounts.formUnion(batch.rows.map(\.filenumber))
            earlierBatchAccounts.formUnion(batch.planBlockers.keys)
        }
        return batch
    }

    /// A mapped record: kept for the API, or rejected with its reason.
    private func take(_ record: SourceRecord, _ mapped: RowMapper.Outcome, account: String?, into batch: inout Batch, _ accounting: RowAccounting) {
        switch mapped {
        case let .row(row):
            if let issue = rowCheckIssue(row) ?? config.writers.lazy.compactMap({ $0.check(row) }).first {
                accounting.warnings(row.warnings, of: record)
                accounting.reject(record, row: row.row, line: record.line, issue: issue)
                if wholeAccounts { batch.planBlockers[row.filenumber] = batch.planBlockers[row.filenumber] ?? RowIssue(issue.reason, field: issue.field, "row \(row.row): \(issue.message)") }
            } else if wholeAccounts && earlierBatchAccounts.contains(row.filenumber) {
                accounting.warnings(row.warnings, of: record)
                accounting.reject(record, row: row.row, line: record.line, issue: RowIssue(.accountRowsSplit, field: "filenumber",
                    "the rows of account \(row.filenumber) must be together in the file (sorted by account): its plan was built from earlier rows"))
            } else {
                batch.rows.append(row)
            }
        case let .rejected(issues, warnings):
            accounting.warnings(warnings, of: record)
            accounting.reject(record, row: record.row, line: record.line, issue: issues[0], others: Array(issues.dropFirst()))
            if wholeAccounts, let account, batch.planBlockers[account] == nil {
                batch.planBlockers[account] = RowIssue(issues[0].reason, field: issues[0].field, "row \(record.row): \(issues[0].message)")
            }
        }
    }

    /// The first row check (`checks:`) the row fails, or the row another row of its account wins over.
    private func rowCheckIssue(_ row: NormalizedRow) -> RowIssue? {
        if let winner = verdict.supersededBy[row.row] {
            return RowIssue(.duplicateFilenumber, field: "filenumber",
                "account \(row.filenumber) is also on row \(winner), which wins (checks.duplicate_filenumbers: \(config.checks.duplicates?.rawValue ?? "")): this row was not loaded")
        }
        return config.checks.rowIssues(row).first { $0.1 == .rejectRow }?.0
    }

    /// The reject limits are checked before a batch is sent: a file that is mostly garbage is
    /// stopped before it is loaded. The reason, when a limit is passed.
    func rejectLimitPassed(_ summary: RunSummary, batch: Batch) -> String? {
        let notSent = "rows \(summary.rowsRead - batch.rowsRead + 1)–\(summary.rowsRead) were not sent and nothing after them was read"
        if let limit = config.maxRejects, summary.rejected > limit {
            return "\(summary.rejected) rows rejected, more than options.max_rejects (\(limit)); \(notSent)"
        }
        if let ratio = config.maxRejectRatio, summary.rowsRead >= 1000, Double(summary.rejected) > ratio * Double(summary.rowsRead) {
            return "\(summary.rejected) of \(summary.rowsRead) rows rejected, more than options.max_reject_ratio (\(ratio)); \(notSent)"
        }
        return nil
    }
}
