import Foundation
import GRDB

/// Where a journaled write stands.
public enum LedgerState: String, Sendable {
    /// The intent is recorded and the request may be on its way: if a run finds an entry in this
    /// state, that run died (or was killed) before the answer came back.
    case sent
    /// The server said it booked it, or reconciliation found it on the server.
    case booked
    /// The server answered with a business error: nothing was booked, a later run may send it.
    case refused
    /// The request may have reached the server and reconciliation could not tell: a person
    /// checks the account.
    case unknown
}

/// Identifies one journaled write: the pipeline, the digest of its input file, and the
/// write's key within the file (`row:17`, or `plan:R1001:<schedule digest>`).
public struct LedgerKey: Hashable, Sendable {
    public let pipeline: String
    public let inputDigest: String
    public let key: String
}

public struct LedgerEntry: Sendable {
    public let id: Int64
    /// Order of intents across the whole journal (a re-sent entry gets a new one).
    public let sequence: Int64
    public let runId: String
    public let pipeline: String
    public let inputName: String
    public let key: String
    public let sourceRow: Int
    public let filenumber: String
    public let endpoint: String
    public let reference: String?
    /// The read that shows whether it reached the server.
    public let read: SettlingRead
    /// What it adds to the account, in that read's keys (`2025-09-01|100.00`, phone digits, …).
    public let items: [String]
    /// Matching records the account had on the server just before the request went out
    /// (nil when that was not read).
    public let baseline: [String: Int]?
    public let state: LedgerState
    public let message: String?
    /// Times the request was sent (each send is recorded before it leaves).
    public let sends: Int
}

/// The durable run journal: one SQLite file per target (agency), shared by every pipeline, so
/// that it knows what any file booked. Each non-idempotent write is recorded before it is sent
/// (`sent`) and settled after (`booked`, `refused`, `unknown`); every change is committed with
/// `synchronous = FULL`, so a SIGKILL loses at most the answer of the calls in flight, never
/// the fact that they were sent. Card data is stored masked (the bodies pass through `Masking`);
/// the previous and new values of sensitive fields (SSNs, bank accounts) are encrypted with the
/// key of `SCOLLECT_JOURNAL_KEY_FILE`, or not kept without one (`JournalCipher`). Change records
/// older than the retention are purged (`purgeChanges`); ledger entries and runs never are:
/// duplicate detection depends on them. Deleted records are overwritten (`secure_delete`).
public final class RunJournal: @unchecked Sendable {
    public let path: String
    let cipher: JournalCipher
    private let queue: DatabaseQueue
    /// Change records go through a second connection with `synchronous = NORMAL`: in WAL mode a
    /// commit survives the process being killed (not a power cut) without an fsync per account,
    /// which would cost more than the API call it records.
    private let changesQueue: DatabaseQueue

    /// `key` nil: read from `SCOLLECT_JOURNAL_KEY_FILE` (none when it is not set).
    /// `retentionDays`: purge change records older than that many days now.
    public convenience init(path: String, retentionDays: Int? = nil) throws {
        try self.init(path: path, key: try JournalKey.fromEnvironment(), retentionDays: retentionDays)
    }

    public init(path: String, key: JournalKey?, retentionDays: Int? = nil) throws {
        self.path = path
        self.cipher = JournalCipher(key: key)
        let url = URL(fileURLWithPath: path)
        try PrivateFile.createDirectory(url.deletingLastPathComponent().path)
        if !FileManager.default.fileExists(atPath: path) {
            // 0600 from the start; SQLite gives the -wal and -shm files the database's mode.
            if let fd = try? createPrivateFile(path, exclusive: true) { close(fd) }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.write { db in try JournalSchema.migrate(db, path: path) }
            var changesConfiguration = Configuration()
            changesConfiguration.busyMode = .timeout(30)
            changesConfiguration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                try db.execute(sql: "PRAGMA secure_delete = ON")
            }
            changesQueue = try DatabaseQueue(path: path, configuration: changesConfiguration)
        } catch let newer as JournalSchema.NewerJournal {
            throw newer
        } catch {
            throw JournalError("cannot open the run journal \(path): \(error)")
        }
        try protectEarlierChanges()
        if let retentionDays { try purgeChanges(olderThanDays: retentionDays) }
    }

    // MARK: runs

    public func beginRun(id: String, pipeline: String, inputName: String, inputDigest: String, target: String) throws {
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO runs (run_id, pipeline, input_name, input_sha256, target, started) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, pipeline, inputName, inputDigest, target, AuditReport.timestamp(Date())])
        }
    }

    /// `rowsToRetry`: rows that ended for a reason a later run may clear (see
    /// `ReasonCode.isRetryable`); the same command again resumes the file while any is left.
    public func finishRun(id: String, exitCode: Int32, summary: String, rowsToRetry: Int = 0) throws {
        try write { db in
            try db.execute(sql: "UPDATE runs SET finished = ?, exit_code = ?, summary = ?, rows_to_retry = ? WHERE run_id = ?",
                           arguments: [AuditReport.timestamp(Date()), Int(exitCode), summary, rowsToRetry, id])
        }
    }

    // MARK: row outcomes

    /// Where rows of a file ended in a run (`written`, `unchanged`, `rejected`, `retry`); one
    /// commit for the batch. A record lost to a crash only makes a later run read that row again.
    public func recordRowOutcomes(pipeline: String, inputDigest: String, runId: String, _ outcomes: [(row: Int, outcome: String, reason: String?)]) throws {
        guard !outcomes.isEmpty else { return }
        do {
            try changesQueue.write { db in
                for item in outcomes {
                    try db.execute(sql: "INSERT OR REPLACE INTO row_outcomes (pipeline, input_sha256, source_row, outcome, reason, run_id) VALUES (?, ?, ?, ?, ?, ?)",
                                   arguments: [pipeline, inputDigest, item.row, item.outcome, item.reason, runId])
                }
            }
        } catch {
            throw JournalError("run journal \(path): \(error)")
        }
    }

    /// Which of these rows of a file an earlier run settled for good (written, unchanged, or
    /// rejected for a reason that is not retryable), with that run's id.
    public func settledRows(pipeline: String, inputDigest: String, among rows: [Int]) throws -> [Int: String] {
        guard let low = rows.min(), let high = rows.max() else { return [:] }
        return try read { db in
            var settled: [Int: String] = [:]
            for row in try Row.fetchAll(try db.cachedStatement(sql: """
                SELECT source_row, run_id FROM row_outcomes WHERE pipeline = ? AND input_sha256 = ? AND source_row BETWEEN ? AND ?
                AND outcome != 'retry'
                """), arguments: [pipeline, inputDigest, low, high]) {
                settled[row["source_row"]] = row["run_id"]
            }
            return settled
        }
    }

    public struct RunRecord: Sendable {
        public let runId: String
        public let pipeline: String
        public let inputName: String
        public let started: String
        public let finished: String?
        public let exitCode: Int?
        /// The run's summary.json, once it finished.
        public let summary: JSONValue?
    }

    /// The newest runs first.
    public func runs(limit: Int = 50) throws -> [RunRecord] {
        try read { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM runs ORDER BY started DESC, run_id DESC LIMIT ?"), arguments: [limit]).map(RunJournal.runRecord)
        }
    }

    /// One run, or nil when the journal has no run of that id.
    public func run(id: String) throws -> RunRecord? {
        try read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM runs WHERE run_id = ?"), arguments: [id]).map(RunJournal.runRecord)
        }
    }

    /// The newest finished run of the pipeline that loaded a file with this digest (exit 0 or 1)
    /// and left no row to retry: the same file loaded again is refused unless forced.
    public func completedRun(pipeline: String, inputDigest: String) throws -> RunRecord? {
        let id = try read { db in
            try String.fetchOne(try db.cachedStatement(sql: """
                SELECT run_id FROM runs WHERE pipeline = ? AND input_sha256 = ? AND exit_code IN (0, 1) AND COALESCE(rows_to_retry, 0) = 0
                ORDER BY started DESC LIMIT 1
                """),
                                arguments: [pipeline, inputDigest])
        }
        return try id.flatMap { try run(id: $0) }
    }

    // MARK: changes

    /// Records changes about to be sent (one commit for all of them); returns them with their ids.
    /// `settling`: earlier changes whose outcome is known, settled in the same commit.
    public func recordChanges(_ changes: [ChangeRecord], settling: [(Int64, ChangeRecord.State)] = []) throws -> [ChangeRecord] {
        guard !changes.isEmpty else { try settleChanges(settling); return [] }
        let now = AuditReport.timestamp(Date())
        do {
            return try changesQueue.write { db in
                try RunJournal.settle(settling, db)
                return try changes.map { change in
                    let (protection, previous, newValue) = try cipher.protect(field: change.field, filenumber: change.filenumber,
                                                                              previous: change.previous, newValue: change.newValue)
                    try db.cachedStatement(sql: """
                        INSERT INTO changes (run_id, filenumber, endpoint, field, previous, new_value, normalizer, source_row, state, recorded_at, protection)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [change.runId, change.filenumber, change.endpoint, change.field, previous, newValue,
                                         change.normalizer, change.sourceRow, change.state.rawValue, now, protection.rawValue])
                    var recorded = change
                    recorded.id = db.lastInsertedRowID
                    return recorded
                }
            }
        } catch {
            throw JournalError("run journal \(path): \(error)")
        }
    }

    public func settleChanges(_ ids: [Int64], as state: ChangeRecord.State) throws {
        try settleChanges(ids.map { ($0, state) })
    }

    /// Settles changes, each in its state, in one commit.
    public func settleChanges(_ settled: [(Int64, ChangeRecord.State)]) throws {
        guard !settled.isEmpty else { return }
        do {
            try changesQueue.write { db in try RunJournal.settle(settled, db) }
        } catch {
            throw JournalError("run journal \(path): \(error)")
        }
    }

    private static func settle(_ settled: [(Int64, ChangeRecord.State)], _ db: Database) throws {
        guard !settled.isEmpty else { return }
        let statement = try db.cachedStatement(sql: "UPDATE changes SET state = ? WHERE id = ?")
        for (id, state) in settled { try statement.execute(arguments: [state.rawValue, id]) }
    }

    /// What an earlier run of the same pipeline and file did with this row's insert (a note, an
    /// attempt, a callback…): `.made`, `.sent` (its answer was lost), or nil when never sent.
    public func earlierInsert(pipeline: String, inputDigest: String, excludingRun runId: String, sourceRow: Int,
                              filenumber: String, endpoint: String, description: String) throws -> ChangeRecord.State? {
        let states = try read { db in
            try String.fetchAll(try db.cachedStatement(sql: """
                SELECT c.state FROM changes c JOIN runs r ON r.run_id = c.run_id
                WHERE r.pipeline = ? AND r.input_sha256 = ? AND c.run_id <> ? AND c.source_row = ? AND c.filenumber = ?
                  AND c.endpoint = ? AND c.new_value = ? AND c.field IS NULL AND c.state IN ('made', 'sent')
                """), arguments: [pipeline, inputDigest, runId, sourceRow, filenumber, endpoint, Masking.maskFreeText(description)])
        }
        if states.contains("made") { return .made }
        return states.isEmpty ? nil : .sent
    }

    /// The changes a run recorded, in the order it made them.
    public func changes(runId: String) throws -> [ChangeRecord] {
        try read { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM changes WHERE run_id = ? ORDER BY id"), arguments: [runId]).map { row in
                let protection = JournalCipher.Protection(rawValue: (row["protection"] as String?) ?? "") ?? .none
                let values = cipher.reveal(protection: protection, field: row["field"], filenumber: row["filenumber"],
                                           previous: row["previous"], newValue: row["new_value"])
                var change = ChangeRecord(runId: row["run_id"], filenumber: row["filenumber"], endpoint: row["endpoint"], field: row["field"],
                                          previous: values.previous, newValue: values.newValue, normalizer: row["normalizer"],
                                          sourceRow: row["source_row"])
                change.previousWithheld = values.withheld
                change.id = row["id"]
                change.state = ChangeRecord.State(rawValue: row["state"]) ?? .sent
                return change
            }
        }
    }

    /// The journaled (payment) writes of one run.
    public func entries(runId: String) throws -> [LedgerEntry] {
        try read { db in try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM entries WHERE run_id = ? ORDER BY sequence"), arguments: [runId]).map(RunJournal.entry) }
    }

    // MARK: entries

    public func entry(_ key: LedgerKey) throws -> LedgerEntry? {
        try read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM entries WHERE pipeline = ? AND input_sha256 = ? AND entry_key = ?"),
                             arguments: [key.pipeline, key.inputDigest, key.key]).map(RunJournal.entry)
        }
    }

    /// An earlier write of the same account with the same client reference that booked, or may
    /// have booked, money (any pipeline, any file).
    public func earlierBooking(filenumber: String, reference: String, excluding key: LedgerKey) throws -> LedgerEntry? {
        try read { db in
            try RunJournal.earlierBooking(db, filenumber: filenumber, reference: reference, excluding: key)
        }
    }

    private static func earlierBooking(_ db: Database, filenumber: String, reference: String, excluding key: LedgerKey) throws -> LedgerEntry? {
        try Row.fetchOne(try db.cachedStatement(sql: """
            SELECT * FROM entries WHERE filenumber = ? AND reference = ? AND state IN ('booked', 'sent', 'unknown')
            AND NOT (pipeline = ? AND input_sha256 = ? AND entry_key = ?) ORDER BY sequence LIMIT 1
            """), arguments: [filenumber, reference, key.pipeline, key.inputDigest, key.key]).map(RunJournal.entry)
    }

    /// Records the intent to send (before sending). A refused or reconciled-absent entry is
    /// reused with a new sequence number, so the key stays unique.
    @discardableResult
    public func recordIntent(_ key: LedgerKey, runId: String, inputName: String, sourceRow: Int, filenumber: String,
                             endpoint: String, reference: String?, read: SettlingRead, items: [String], baseline: [String: Int]?,
                             maskedBody: String) throws -> LedgerEntry {
        try write { db in
            try RunJournal.insertIntent(db, key, runId: runId, inputName: inputName, sourceRow: sourceRow, filenumber: filenumber,
                                        endpoint: endpoint, reference: reference, read: read, items: items, baseline: baseline, maskedBody: maskedBody)
        }
    }

    /// What `claim` found.
    public enum Claim: Sendable {
        /// The intent is recorded (`sent`): the request may go.
        case claimed(LedgerEntry)
        /// Booked meanwhile (by another process sharing the journal).
        case booked(LedgerEntry)
        /// Recorded again meanwhile by another run, whose outcome is open: not sent twice.
        case inFlight(LedgerEntry)
        /// The client reference is booked, or may be, on the account by another entry.
        case duplicate(LedgerEntry)
    }

    /// Check-and-record in one `BEGIN IMMEDIATE` transaction, so that two processes sharing the
    /// journal cannot both book one write or one reference: the entry is still as the caller
    /// last saw it (`expecting`: its sequence, nil when there was none), no other entry holds
    /// the reference, and only then is the intent recorded.
    public func claim(_ key: LedgerKey, expecting: Int64?, runId: String, inputName: String, sourceRow: Int, filenumber: String,
                      endpoint: String, reference: String?, read: SettlingRead, items: [String], baseline: [String: Int]?,
                      maskedBody: String) throws -> Claim {
        do {
            return try queue.writeWithoutTransaction { db in
                var claim: Claim?
                try db.inTransaction(.immediate) {
                    let current = try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM entries WHERE pipeline = ? AND input_sha256 = ? AND entry_key = ?"),
                                                   arguments: [key.pipeline, key.inputDigest, key.key]).map(RunJournal.entry)
                    if let current, current.state == .booked {
                        claim = .booked(current)
                    } else if let current, current.sequence != expecting, current.state == .sent || current.state == .unknown {
                        claim = .inFlight(current)
                    } else if let reference, let earlier = try RunJournal.earlierBooking(db, filenumber: filenumber, reference: reference, excluding: key) {
                        claim = .duplicate(earlier)
                    } else {
                        claim = .claimed(try RunJournal.insertIntent(db, key, runId: runId, inputName: inputName, sourceRow: sourceRow,
                                                                     filenumber: filenumber, endpoint: endpoint, reference: reference,
                                                                     read: read, items: items, baseline: baseline, maskedBody: maskedBody))
                    }
                    return .commit
                }
                return claim!
            }
        } catch {
            throw JournalError("run journal \(path): \(error)")
        }
    }

    private static func insertIntent(_ db: Database, _ key: LedgerKey, runId: String, inputName: String, sourceRow: Int, filenumber: String,
                                     endpoint: String, reference: String?, read: SettlingRead, items: [String], baseline: [String: Int]?,
                                     maskedBody: String) throws -> LedgerEntry {
        let sequence = (try Int64.fetchOne(try db.cachedStatement(sql: "SELECT MAX(sequence) FROM entries")) ?? 0) + 1
        let itemsText = items.joined(separator: ",")
        let baselineText = baseline.map { RunJournal.encode($0) }
        try db.cachedStatement(sql: """
            INSERT INTO entries (sequence, run_id, pipeline, input_name, input_sha256, entry_key, source_row, filenumber,
                endpoint, reference, lookup, items, baseline, body, state, sent_at, sends)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'sent', ?, 1)
            ON CONFLICT (pipeline, input_sha256, entry_key) DO UPDATE SET
                sequence = excluded.sequence, run_id = excluded.run_id, input_name = excluded.input_name,
                source_row = excluded.source_row, filenumber = excluded.filenumber, endpoint = excluded.endpoint,
                reference = excluded.reference, lookup = excluded.lookup, items = excluded.items, baseline = excluded.baseline,
                body = excluded.body, state = 'sent', message = NULL, sent_at = excluded.sent_at, settled_at = NULL,
                sends = entries.sends + 1
            """).execute(arguments: [sequence, runId, key.pipeline, inputName, key.inputDigest, key.key, sourceRow, filenumber,
                             endpoint, reference, read.rawValue, itemsText, baselineText, maskedBody, AuditReport.timestamp(Date())])
        return try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM entries WHERE pipeline = ? AND input_sha256 = ? AND entry_key = ?"),
                                arguments: [key.pipeline, key.inputDigest, key.key]).map(RunJournal.entry)!
    }

    /// The outcome of a sent entry. Committed without an fsync of its own (the intent before
    /// the send had one): a settlement lost to a power cut leaves the entry `sent`, and the next
    /// run settles it by its read, as after any crash.
    public func settle(_ entry: LedgerEntry, as state: LedgerState, message: String?) throws {
        do {
            try changesQueue.write { db in
                try db.execute(sql: "UPDATE entries SET state = ?, message = ?, settled_at = ? WHERE id = ?",
                               arguments: [state.rawValue, message.map(Masking.maskFreeText), AuditReport.timestamp(Date()), entry.id])
            }
        } catch {
            throw JournalError("run journal \(path): \(error)")
        }
    }

    /// Records of that read's kind the journal confirmed on the account after the given intent
    /// (any pipeline).
    public func bookedItems(filenumber: String, read settling: SettlingRead, after sequence: Int64 = 0) throws -> [String: Int] {
        try read { db in
            let texts = try String.fetchAll(try db.cachedStatement(sql: "SELECT items FROM entries WHERE filenumber = ? AND lookup = ? AND sequence > ? AND state = 'booked'"),
                                            arguments: [filenumber, settling.rawValue, sequence])
            return texts.flatMap(RunJournal.items).tally
        }
    }

    /// Other writes of that read's kind to the account, after the given one, still open.
    public func openEntries(filenumber: String, read settling: SettlingRead, after sequence: Int64) throws -> Int {
        try read { db in
            try Int.fetchOne(try db.cachedStatement(sql: "SELECT COUNT(*) FROM entries WHERE filenumber = ? AND lookup = ? AND sequence > ? AND state IN ('sent', 'unknown')"),
                             arguments: [filenumber, settling.rawValue, sequence]) ?? 0
        }
    }

    /// Entries of one row of a file that runs other than `runId` left open (`sent`, `unknown`).
    public func openEntries(pipeline: String, inputDigest: String, sourceRow: Int, excludingRun runId: String) throws -> [LedgerEntry] {
        try read { db in
            try Row.fetchAll(try db.cachedStatement(sql: """
                SELECT * FROM entries WHERE pipeline = ? AND input_sha256 = ? AND source_row = ? AND run_id != ?
                AND state IN ('sent', 'unknown') ORDER BY sequence
                """), arguments: [pipeline, inputDigest, sourceRow, runId]).map(RunJournal.entry)
        }
    }

    /// Every entry, in the order they were last sent (for `runs` listings and checks).
    public func allEntries() throws -> [LedgerEntry] {
        try read { db in try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM entries ORDER BY sequence")).map(RunJournal.entry) }
    }

    /// The run that wrote an entry, for messages: `run 20261123T… (payments.csv row 12)`.
    public func describe(_ entry: LedgerEntry) -> String {
        "run \(entry.runId) (pipeline \(entry.pipeline), \(entry.inputName) row \(entry.sourceRow))"
    }

    // MARK: retention

    /// Deletes the change records older than `days` (their values are overwritten on disk);
    /// returns how many. Runs, ledger entries and the record of loaded files are kept: duplicate
    /// detection depends on them.
    @discardableResult
    public func purgeChanges(olderThanDays days: Int, now: Date = Date()) throws -> Int {
        let cutoff = AuditReport.timestamp(now.addingTimeInterval(-Double(days) * 86_400))
        do {
            let purged = try changesQueue.write { db in
                try db.cachedStatement(sql: "DELETE FROM changes WHERE recorded_at < ?").execute(arguments: [cutoff])
                return db.changesCount
            }
            if purged > 0 { try changesQueue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") } }
            return purged
        } catch {
            throw JournalError("run journal \(path): \(error)")
        }
    }

    /// Rows recorded before values were protected: protected now, as a new record would be,
    /// and the write-ahead log emptied so that the clear values leave the disk.
    func protectEarlierChanges() throws {
        do {
            let rows = try changesQueue.read { db in
                try Row.fetchAll(try db.cachedStatement(sql: "SELECT id, filenumber, field, previous, new_value FROM changes WHERE protection IS NULL"))
            }
            guard !rows.isEmpty else { return }
            try changesQueue.write { db in
                for row in rows {
                    let (protection, previous, newValue) = try cipher.protect(field: row["field"], filenumber: row["filenumber"],
                                                                              previous: row["previous"], newValue: row["new_value"])
                    try db.execute(sql: "UPDATE changes SET protection = ?, previous = ?, new_value = ? WHERE id = ?",
                                   arguments: [protection.rawValue, previous, newValue, row["id"] as Int64])
                }
            }
            try changesQueue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        } catch {
            throw JournalError("run journal \(path): \(error)")
        }
    }

    // MARK: settled by hand

    /// An operator's finding about a row whose outcome is unknown (the row of the run's input
    /// file, whichever run of that file sent the write), recorded in one transaction: `confirmed` (the write is on the server) or absent. The row's ledger entries
    /// still `sent` or `unknown` become `booked` or `refused`, its inserts still `sent` become
    /// `made` or `failed`, each with `note` (who and when) as its message. A reference settled
    /// absent no longer blocks later files; one confirmed is a duplicate for them, as booked.
    /// Returns how many entries and change records it settled.
    public func settleByHand(runId: String, sourceRow: Int, confirmed: Bool, note: String) throws -> (entries: Int, changes: Int) {
        // The row of the run's file: whichever run of that file last sent the write.
        let sameFile = "SELECT pipeline, input_sha256 FROM runs WHERE run_id = ?"
        return try write { db in
            try db.cachedStatement(sql: """
                UPDATE entries SET state = ?, message = ?, settled_at = ?
                WHERE (pipeline, input_sha256) IN (\(sameFile)) AND source_row = ? AND state IN ('sent', 'unknown')
                """).execute(arguments: [confirmed ? LedgerState.booked.rawValue : LedgerState.refused.rawValue, note,
                                         AuditReport.timestamp(Date()), runId, sourceRow])
            let entries = db.changesCount
            try db.cachedStatement(sql: """
                UPDATE changes SET state = ? WHERE source_row = ? AND state = 'sent' AND field IS NULL
                AND run_id IN (SELECT run_id FROM runs WHERE (pipeline, input_sha256) IN (\(sameFile)))
                """).execute(arguments: [confirmed ? ChangeRecord.State.made.rawValue : ChangeRecord.State.failed.rawValue, sourceRow, runId])
            return (entries, db.changesCount)
        }
    }

    // MARK: plumbing

    /// Each read is one statement (atomic on its own), so it runs without GRDB's read-only
    /// transaction: that toggles `PRAGMA query_only`, which expires every prepared statement of
    /// the connection, and re-preparing them (the schema parsed again) cost more CPU per row
    /// than the row's API calls (`valgrind --tool=callgrind`, Benchmarks/README.md).
    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.unsafeRead(body) } catch { throw JournalError("run journal \(path): \(error)") }
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch { throw JournalError("run journal \(path): \(error)") }
    }

    static func items(_ text: String) -> [String] {
        text.split(separator: ",").map(String.init)
    }

    static func encode(_ counts: [String: Int]) -> String {
        counts.keys.sorted().map { "\($0)=\(counts[$0]!)" }.joined(separator: ",")
    }

    static func decode(_ text: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=")
            if parts.count == 2, let count = Int(parts[1]) { counts[String(parts[0])] = count }
        }
        return counts
    }

    static func runRecord(_ row: Row) -> RunRecord {
        RunRecord(runId: row["run_id"], pipeline: row["pipeline"], inputName: row["input_name"], started: row["started"],
                  finished: row["finished"], exitCode: row["exit_code"],
                  summary: (row["summary"] as String?).flatMap { JSONValue.parse(Data($0.utf8)) })
    }

    static func entry(_ row: Row) -> LedgerEntry {
        LedgerEntry(id: row["id"], sequence: row["sequence"], runId: row["run_id"], pipeline: row["pipeline"],
                    inputName: row["input_name"], key: row["entry_key"], sourceRow: row["source_row"],
                    filenumber: row["filenumber"], endpoint: row["endpoint"], reference: row["reference"],
                    read: SettlingRead(rawValue: row["lookup"]) ?? .none,
                    items: items(row["items"]), baseline: (row["baseline"] as String?).map(decode),
                    state: LedgerState(rawValue: row["state"]) ?? .unknown, message: row["message"], sends: row["sends"])
    }
}

public struct JournalError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
