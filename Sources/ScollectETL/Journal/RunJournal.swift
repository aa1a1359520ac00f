import Foundation


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

/// The durable run journal: one per target (agency), shared by every pipeline, so that it
/// knows what any file booked. Each non-idempotent write is recorded before it is sent
/// (`sent`) and settled after (`booked`, `refused`, `unknown`); the record before the send is
/// committed durably, so a SIGKILL loses at most the answer of the calls in flight, never the
/// fact that they were sent. Card data is stored masked (the bodies pass through `Masking`);
/// the previous and new values of sensitive fields (SSNs, bank accounts) are encrypted with the
/// key of `SCOLLECT_JOURNAL_KEY_FILE`, or not kept without one (`JournalCipher`). Change records
/// older than the retention are purged (`purgeChanges`); ledger entries and runs never are:
/// duplicate detection depends on them.
///
/// The logic is here once; where it is kept is the `JournalStore`'s business: a SQLite file
/// (`SQLiteJournalStore`, the default) or a PostgreSQL database (`PostgresJournalStore`, when
/// the journal's location is a `postgres://` URL — see `JournalLocation`).
public final class RunJournal: @unchecked Sendable {
    /// Where it is, for messages: a file's path, or the database's URL.
    public var path: String { store.location }
    public let store: any JournalStore
    let cipher: JournalCipher

    /// `key` nil: read from `SCOLLECT_JOURNAL_KEY_FILE` (none when it is not set).
    /// `retentionDays`: purge change records older than that many days now.
    public convenience init(path: String, retentionDays: Int? = nil) throws {
        try self.init(path: path, key: try JournalKey.fromEnvironment(), retentionDays: retentionDays)
    }

    /// `path`: a SQLite file, or a PostgreSQL URL (`JournalLocation`).
    public convenience init(path: String, key: JournalKey?, retentionDays: Int? = nil) throws {
        try self.init(store: try JournalLocation(path).open(), key: key, retentionDays: retentionDays)
    }

    public init(store: any JournalStore, key: JournalKey?, retentionDays: Int? = nil) throws {
        self.store = store
        self.cipher = JournalCipher(key: key)
        try protectEarlierChanges()
        if let retentionDays { try purgeChanges(olderThanDays: retentionDays) }
    }

    /// "One run of this pipeline at a time", for every process sharing the journal.
    public func lockPipeline(_ pipeline: String) throws -> any JournalLock {
        try store.lockPipeline(pipeline)
    }

    // MARK: runs

    public func beginRun(id: String, pipeline: String, inputName: String, inputDigest: String, target: String) throws {
        try store.write { db in
            try db.execute("""
                INSERT INTO runs (run_id, pipeline, input_name, input_sha256, target, started) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_id) DO UPDATE SET pipeline = excluded.pipeline, input_name = excluded.input_name,
                    input_sha256 = excluded.input_sha256, target = excluded.target, started = excluded.started
                """, bind(id), bind(pipeline), bind(inputName), bind(inputDigest), bind(target), bind(AuditReport.timestamp(Date())))
        }
    }

    /// `rowsToRetry`: rows that ended for a reason a later run may clear (see
    /// `ReasonCode.isRetryable`); the same command again resumes the file while any is left.
    public func finishRun(id: String, exitCode: Int32, summary: String, rowsToRetry: Int = 0) throws {
        try store.write { db in
            try db.execute("UPDATE runs SET finished = ?, exit_code = ?, summary = ?, rows_to_retry = ? WHERE run_id = ?",
                           bind(AuditReport.timestamp(Date())), bind(Int(exitCode)), bind(summary), bind(rowsToRetry), bind(id))
        }
    }

    // MARK: row outcomes

    /// Where rows of a file ended in a run (`written`, `unchanged`, `rejected`, `retry`); one
    /// commit for the batch. A record lost to a crash only makes a later run read that row again.
    public func recordRowOutcomes(pipeline: String, inputDigest: String, runId: String, _ outcomes: [(row: Int, outcome: String, reason: String?)]) throws {
        guard !outcomes.isEmpty else { return }
        try store.writeRelaxed { db in
            for item in outcomes {
                try db.execute("""
                    INSERT INTO row_outcomes (pipeline, input_sha256, source_row, outcome, reason, run_id) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (pipeline, input_sha256, source_row) DO UPDATE SET
                        outcome = excluded.outcome, reason = excluded.reason, run_id = excluded.run_id
                    """, bind(pipeline), bind(inputDigest), bind(item.row), bind(item.outcome), bind(item.reason), bind(runId))
            }
        }
    }

    /// Which of these rows of a file an earlier run settled for good (written or unchanged),
    /// with that run's id. A rejected row is read again: its reject is reported by the run that
    /// finishes the file (every reject of the file in one report), and a reason that no longer
    /// holds lets it through.
    public func settledRows(pipeline: String, inputDigest: String, among rows: [Int]) throws -> [Int: String] {
        guard let low = rows.min(), let high = rows.max() else { return [:] }
        return try store.read { db in
            var settled: [Int: String] = [:]
            for row in try db.rows("""
                SELECT source_row, run_id FROM row_outcomes WHERE pipeline = ? AND input_sha256 = ? AND source_row BETWEEN ? AND ?
                AND outcome IN ('written', 'unchanged')
                """, bind(pipeline), bind(inputDigest), bind(low), bind(high)) {
                if let source = row.int("source_row"), let run = row.string("run_id") { settled[source] = run }
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
        try store.read { db in
            try db.rows("SELECT * FROM runs ORDER BY started DESC, run_id DESC LIMIT ?", bind(limit)).map(RunJournal.runRecord)
        }
    }

    /// One run, or nil when the journal has no run of that id.
    public func run(id: String) throws -> RunRecord? {
        try store.read { db in try db.row("SELECT * FROM runs WHERE run_id = ?", bind(id)).map(RunJournal.runRecord) }
    }

    /// The newest finished run of the pipeline that loaded a file with this digest (exit 0 or 1)
    /// and left no row to retry: the same file loaded again is refused unless forced.
    public func completedRun(pipeline: String, inputDigest: String) throws -> RunRecord? {
        try store.read { db in
            try db.row("""
                SELECT * FROM runs WHERE pipeline = ? AND input_sha256 = ? AND exit_code IN (0, 1) AND COALESCE(rows_to_retry, 0) = 0
                ORDER BY started DESC LIMIT 1
                """, bind(pipeline), bind(inputDigest)).map(RunJournal.runRecord)
        }
    }

    // MARK: changes

    /// Records changes about to be sent (one commit for all of them); returns them with their ids.
    /// `settling`: earlier changes whose outcome is known, settled in the same commit.
    public func recordChanges(_ changes: [ChangeRecord], settling: [(Int64, ChangeRecord.State)] = []) throws -> [ChangeRecord] {
        guard !changes.isEmpty else { try settleChanges(settling); return [] }
        let now = AuditReport.timestamp(Date())
        return try store.writeRelaxed { db in
            try RunJournal.settle(settling, db)
            return try changes.map { change in
                let (protection, previous, newValue) = try cipher.protect(field: change.field, filenumber: change.filenumber,
                                                                          previous: change.previous, newValue: change.newValue)
                var recorded = change
                recorded.id = try db.insert("""
                    INSERT INTO changes (run_id, filenumber, endpoint, field, previous, new_value, normalizer, source_row, state, recorded_at, protection)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, bind(change.runId), bind(change.filenumber), bind(change.endpoint), bind(change.field), bind(previous), bind(newValue),
                    bind(change.normalizer), bind(change.sourceRow), bind(change.state.rawValue), bind(now), bind(protection.rawValue))
                return recorded
            }
        }
    }

    public func settleChanges(_ ids: [Int64], as state: ChangeRecord.State) throws {
        try settleChanges(ids.map { ($0, state) })
    }

    /// Settles changes, each in its state, in one commit.
    public func settleChanges(_ settled: [(Int64, ChangeRecord.State)]) throws {
        guard !settled.isEmpty else { return }
        try store.writeRelaxed { db in try RunJournal.settle(settled, db) }
    }

    private static func settle(_ settled: [(Int64, ChangeRecord.State)], _ db: any JournalConnection) throws {
        for (id, state) in settled { try db.execute("UPDATE changes SET state = ? WHERE id = ?", bind(state.rawValue), bind(id)) }
    }

    /// What an earlier run of the same pipeline and file did with this row's insert (a note, an
    /// attempt, a callback…): `.made`, `.sent` (its answer was lost), or nil when never sent.
    public func earlierInsert(pipeline: String, inputDigest: String, excludingRun runId: String, sourceRow: Int,
                              filenumber: String, endpoint: String, description: String) throws -> ChangeRecord.State? {
        let states = try store.read { db in
            try db.rows("""
                SELECT c.state FROM changes c JOIN runs r ON r.run_id = c.run_id
                WHERE r.pipeline = ? AND r.input_sha256 = ? AND c.run_id <> ? AND c.source_row = ? AND c.filenumber = ?
                  AND c.endpoint = ? AND c.new_value = ? AND c.field IS NULL AND c.state IN ('made', 'sent')
                """, bind(pipeline), bind(inputDigest), bind(runId), bind(sourceRow), bind(filenumber), bind(endpoint),
                bind(Masking.maskFreeText(description))).compactMap { $0.string("state") }
        }
        if states.contains("made") { return .made }
        return states.isEmpty ? nil : .sent
    }

    /// The changes a run recorded, in the order it made them.
    public func changes(runId: String) throws -> [ChangeRecord] {
        try store.read { db in
            try db.rows("SELECT * FROM changes WHERE run_id = ? ORDER BY id", bind(runId)).map { row in
                let protection = JournalCipher.Protection(rawValue: row.string("protection") ?? "") ?? .none
                let values = cipher.reveal(protection: protection, field: row.string("field"), filenumber: row.string("filenumber") ?? "",
                                           previous: row.string("previous"), newValue: row.string("new_value") ?? "")
                var change = ChangeRecord(runId: row.string("run_id") ?? "", filenumber: row.string("filenumber") ?? "",
                                          endpoint: row.string("endpoint") ?? "", field: row.string("field"),
                                          previous: values.previous, newValue: values.newValue, normalizer: row.string("normalizer"),
                                          sourceRow: row.int("source_row") ?? 0)
                change.previousWithheld = values.withheld
                change.id = row.int64("id") ?? 0
                change.state = ChangeRecord.State(rawValue: row.string("state") ?? "") ?? .sent
                return change
            }
        }
    }

    /// The journaled (payment) writes of one run.
    public func entries(runId: String) throws -> [LedgerEntry] {
        try store.read { db in try db.rows("SELECT * FROM entries WHERE run_id = ? ORDER BY sequence", bind(runId)).map(RunJournal.entry) }
    }

    // MARK: entries

    public func entry(_ key: LedgerKey) throws -> LedgerEntry? {
        try store.read { db in try RunJournal.entry(db, key) }
    }

    private static func entry(_ db: any JournalConnection, _ key: LedgerKey) throws -> LedgerEntry? {
        try db.row("SELECT * FROM entries WHERE pipeline = ? AND input_sha256 = ? AND entry_key = ?",
                   bind(key.pipeline), bind(key.inputDigest), bind(key.key)).map(RunJournal.entry)
    }

    /// An earlier write of the same account with the same client reference that booked, or may
    /// have booked, money (any pipeline, any file).
    public func earlierBooking(filenumber: String, reference: String, excluding key: LedgerKey) throws -> LedgerEntry? {
        try store.read { db in try RunJournal.earlierBooking(db, filenumber: filenumber, reference: reference, excluding: key) }
    }

    private static func earlierBooking(_ db: any JournalConnection, filenumber: String, reference: String, excluding key: LedgerKey) throws -> LedgerEntry? {
        try db.row("""
            SELECT * FROM entries WHERE filenumber = ? AND reference = ? AND state IN ('booked', 'sent', 'unknown')
            AND NOT (pipeline = ? AND input_sha256 = ? AND entry_key = ?) ORDER BY sequence LIMIT 1
            """, bind(filenumber), bind(reference), bind(key.pipeline), bind(key.inputDigest), bind(key.key)).map(RunJournal.entry)
    }

    /// What a write adds to the ledger: everything but its key and run.
    public struct Intent: Sendable {
        public var inputName: String
        public var sourceRow: Int
        public var filenumber: String
        public var endpoint: String
        public var reference: String?
        public var read: SettlingRead
        public var items: [String]
        public var baseline: [String: Int]?
        public var maskedBody: String
    }

    /// Records the intent to send (before sending). A refused or reconciled-absent entry is
    /// reused with a new sequence number, so the key stays unique.
    @discardableResult
    public func recordIntent(_ key: LedgerKey, runId: String, inputName: String, sourceRow: Int, filenumber: String,
                             endpoint: String, reference: String?, read: SettlingRead, items: [String], baseline: [String: Int]?,
                             maskedBody: String) throws -> LedgerEntry {
        let intent = Intent(inputName: inputName, sourceRow: sourceRow, filenumber: filenumber, endpoint: endpoint, reference: reference,
                            read: read, items: items, baseline: baseline, maskedBody: maskedBody)
        return try store.write { db in try RunJournal.insertIntent(db, key, runId: runId, intent) }
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

    /// Check-and-record in one durable transaction that the store serialises against every
    /// other writer (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: the tenant's transaction lock), so
    /// that two processes sharing the journal cannot both book one write or one reference: the
    /// entry is still as the caller last saw it (`expecting`: its sequence, nil when there was
    /// none), no other entry holds the reference, and only then is the intent recorded.
    public func claim(_ key: LedgerKey, expecting: Int64?, runId: String, inputName: String, sourceRow: Int, filenumber: String,
                      endpoint: String, reference: String?, read: SettlingRead, items: [String], baseline: [String: Int]?,
                      maskedBody: String) throws -> Claim {
        let intent = Intent(inputName: inputName, sourceRow: sourceRow, filenumber: filenumber, endpoint: endpoint, reference: reference,
                            read: read, items: items, baseline: baseline, maskedBody: maskedBody)
        return try store.write { db in
            let current = try RunJournal.entry(db, key)
            if let current, current.state == .booked { return .booked(current) }
            if let current, current.sequence != expecting, current.state == .sent || current.state == .unknown { return .inFlight(current) }
            if let reference, let earlier = try RunJournal.earlierBooking(db, filenumber: filenumber, reference: reference, excluding: key) {
                return .duplicate(earlier)
            }
            return .claimed(try RunJournal.insertIntent(db, key, runId: runId, intent))
        }
    }

    private static func insertIntent(_ db: any JournalConnection, _ key: LedgerKey, runId: String, _ intent: Intent) throws -> LedgerEntry {
        let sequence = (try db.row("SELECT MAX(sequence) AS last_sequence FROM entries")?.int64("last_sequence") ?? 0) + 1
        try db.execute("""
            INSERT INTO entries (sequence, run_id, pipeline, input_name, input_sha256, entry_key, source_row, filenumber,
                endpoint, reference, lookup, items, baseline, body, state, sent_at, sends)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'sent', ?, 1)
            ON CONFLICT (pipeline, input_sha256, entry_key) DO UPDATE SET
                sequence = excluded.sequence, run_id = excluded.run_id, input_name = excluded.input_name,
                source_row = excluded.source_row, filenumber = excluded.filenumber, endpoint = excluded.endpoint,
                reference = excluded.reference, lookup = excluded.lookup, items = excluded.items, baseline = excluded.baseline,
                body = excluded.body, state = 'sent', message = NULL, sent_at = excluded.sent_at, settled_at = NULL,
                sends = entries.sends + 1
            """, bind(sequence), bind(runId), bind(key.pipeline), bind(intent.inputName), bind(key.inputDigest), bind(key.key),
            bind(intent.sourceRow), bind(intent.filenumber), bind(intent.endpoint), bind(intent.reference), bind(intent.read.rawValue),
            bind(intent.items.joined(separator: ",")), bind(intent.baseline.map { RunJournal.encode($0) }), bind(intent.maskedBody),
            bind(AuditReport.timestamp(Date())))
        return try RunJournal.entry(db, key)!
    }

    /// The outcome of a sent entry. Committed without an fsync of its own (the intent before
    /// the send had one): a settlement lost to a power cut leaves the entry `sent`, and the next
    /// run settles it by its read, as after any crash.
    public func settle(_ entry: LedgerEntry, as state: LedgerState, message: String?) throws {
        try store.writeRelaxed { db in
            try db.execute("UPDATE entries SET state = ?, message = ?, settled_at = ? WHERE id = ?",
                           bind(state.rawValue), bind(message.map(Masking.maskFreeText)), bind(AuditReport.timestamp(Date())), bind(entry.id))
        }
    }

    /// Records of that read's kind the journal confirmed on the account after the given intent
    /// (any pipeline).
    public func bookedItems(filenumber: String, read settling: SettlingRead, after sequence: Int64 = 0) throws -> [String: Int] {
        try store.read { db in
            try db.rows("SELECT items FROM entries WHERE filenumber = ? AND lookup = ? AND sequence > ? AND state = 'booked'",
                        bind(filenumber), bind(settling.rawValue), bind(sequence))
                .compactMap { $0.string("items") }.flatMap(RunJournal.items).tally
        }
    }

    /// Other writes of that read's kind to the account, after the given one, still open, that
    /// add a record with one of `items`' keys: only those can blur its count. (Writes of other
    /// keys — another process's payments of other dates or amounts to the same account — cannot.)
    public func openEntries(filenumber: String, read settling: SettlingRead, after sequence: Int64, sharing items: [String]) throws -> Int {
        let keys = Set(items)
        return try store.read { db in
            try db.rows("SELECT items FROM entries WHERE filenumber = ? AND lookup = ? AND sequence > ? AND state IN ('sent', 'unknown')",
                        bind(filenumber), bind(settling.rawValue), bind(sequence))
                .filter { row in RunJournal.items(row.string("items") ?? "").contains(where: keys.contains) }.count
        }
    }

    /// The rows of a file with entries that runs other than `runId` left open.
    public func rowsWithOpenEntries(pipeline: String, inputDigest: String, excludingRun runId: String) throws -> Set<Int> {
        try store.read { db in
            Set(try db.rows("""
                SELECT DISTINCT source_row FROM entries WHERE pipeline = ? AND input_sha256 = ? AND run_id != ?
                AND state IN ('sent', 'unknown')
                """, bind(pipeline), bind(inputDigest), bind(runId)).compactMap { $0.int("source_row") })
        }
    }

    /// Entries of one row of a file that runs other than `runId` left open (`sent`, `unknown`).
    public func openEntries(pipeline: String, inputDigest: String, sourceRow: Int, excludingRun runId: String) throws -> [LedgerEntry] {
        try store.read { db in
            try db.rows("""
                SELECT * FROM entries WHERE pipeline = ? AND input_sha256 = ? AND source_row = ? AND run_id != ?
                AND state IN ('sent', 'unknown') ORDER BY sequence
                """, bind(pipeline), bind(inputDigest), bind(sourceRow), bind(runId)).map(RunJournal.entry)
        }
    }

    /// Every entry, in the order they were last sent (for `runs` listings and checks).
    public func allEntries() throws -> [LedgerEntry] {
        try store.read { db in try db.rows("SELECT * FROM entries ORDER BY sequence").map(RunJournal.entry) }
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
        // In the order of the ids, up to the first record young enough to keep: the records' times
        // grow with their ids, so no index on the time is needed (an insert into it cost every
        // change record as much as its own row). A record whose clock ran behind its
        // predecessors' waits for them, seconds at most.
        let purged = try store.writeRelaxed { db in
            try db.execute("""
                DELETE FROM changes WHERE id < COALESCE((SELECT id FROM changes WHERE recorded_at >= ? ORDER BY id LIMIT 1),
                                                        (SELECT MAX(id) + 1 FROM changes), 0)
                """, bind(cutoff))
        }
        if purged > 0 { try store.compact() }
        return purged
    }

    /// Rows recorded before values were protected: protected now, as a new record would be,
    /// and what the store keeps of the clear values emptied.
    func protectEarlierChanges() throws {
        let rows = try store.read { db in
            try db.rows("SELECT id, filenumber, field, previous, new_value FROM changes WHERE protection IS NULL")
        }
        guard !rows.isEmpty else { return }
        try store.writeRelaxed { db in
            for row in rows {
                let (protection, previous, newValue) = try cipher.protect(field: row.string("field"), filenumber: row.string("filenumber") ?? "",
                                                                          previous: row.string("previous"), newValue: row.string("new_value") ?? "")
                try db.execute("UPDATE changes SET protection = ?, previous = ?, new_value = ? WHERE id = ?",
                               bind(protection.rawValue), bind(previous), bind(newValue), bind(row.int64("id")))
            }
        }
        try store.compact()
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
        return try store.write { db in
            let entries = try db.execute("""
                UPDATE entries SET state = ?, message = ?, settled_at = ?
                WHERE (pipeline, input_sha256) IN (\(sameFile)) AND source_row = ? AND state IN ('sent', 'unknown')
                """, bind(confirmed ? LedgerState.booked.rawValue : LedgerState.refused.rawValue), bind(note),
                bind(AuditReport.timestamp(Date())), bind(runId), bind(sourceRow))
            let changes = try db.execute("""
                UPDATE changes SET state = ? WHERE source_row = ? AND state = 'sent' AND field IS NULL
                AND run_id IN (SELECT run_id FROM runs WHERE (pipeline, input_sha256) IN (\(sameFile)))
                """, bind(confirmed ? ChangeRecord.State.made.rawValue : ChangeRecord.State.failed.rawValue), bind(sourceRow), bind(runId))
            return (entries, changes)
        }
    }

    // MARK: plumbing

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

    static func runRecord(_ row: JournalRow) -> RunRecord {
        RunRecord(runId: row.string("run_id") ?? "", pipeline: row.string("pipeline") ?? "", inputName: row.string("input_name") ?? "",
                  started: row.string("started") ?? "", finished: row.string("finished"), exitCode: row.int("exit_code"),
                  summary: row.string("summary").flatMap { JSONValue.parse(Data($0.utf8)) })
    }

    static func entry(_ row: JournalRow) -> LedgerEntry {
        LedgerEntry(id: row.int64("id") ?? 0, sequence: row.int64("sequence") ?? 0, runId: row.string("run_id") ?? "",
                    pipeline: row.string("pipeline") ?? "", inputName: row.string("input_name") ?? "", key: row.string("entry_key") ?? "",
                    sourceRow: row.int("source_row") ?? 0, filenumber: row.string("filenumber") ?? "", endpoint: row.string("endpoint") ?? "",
                    reference: row.string("reference"), read: SettlingRead(rawValue: row.string("lookup") ?? "") ?? .none,
                    items: items(row.string("items") ?? ""), baseline: row.string("baseline").map(decode),
                    state: LedgerState(rawValue: row.string("state") ?? "") ?? .unknown, message: row.string("message"),
                    sends: row.int("sends") ?? 1)
    }
}

public struct JournalError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
