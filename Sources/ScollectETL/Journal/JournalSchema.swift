import Foundation
import GRDB

/// The run journal's schema as one numbered list of migrations. A journal records the version
/// it has reached in `schema_version`; opening it applies the migrations it lacks, in order, in
/// one transaction, so an agency upgrades between two nights without losing its ledger. A
/// journal written by a newer release is refused rather than guessed at.
///
/// Each migration is plain SQL, written for SQLite; a second store (PostgreSQL) follows the
/// same numbered list with its own spelling of each step.
public enum JournalSchema {
    public struct Migration: Sendable {
        public let version: Int
        public let summary: String
        /// Statements run in order; `ifColumnMissing` guards an `ALTER TABLE … ADD COLUMN` for
        /// journals written before versions were recorded.
        let steps: [Step]
    }

    enum Step: Sendable {
        case sql(String)
        /// `ALTER TABLE table ADD COLUMN definition`, skipped when the column is there.
        case addColumn(table: String, column: String, definition: String)
    }

    /// Every migration, oldest first. Never edit one that shipped: add the next.
    public static let migrations: [Migration] = [
        Migration(version: 1, summary: "runs, ledger entries, change records (release 0.1.0)", steps: [.sql("""
            CREATE TABLE IF NOT EXISTS runs (
                run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, input_name TEXT NOT NULL, input_sha256 TEXT NOT NULL,
                target TEXT NOT NULL, started TEXT NOT NULL, finished TEXT, exit_code INTEGER, summary TEXT);
            CREATE TABLE IF NOT EXISTS entries (
                id INTEGER PRIMARY KEY, sequence INTEGER NOT NULL, run_id TEXT NOT NULL,
                pipeline TEXT NOT NULL, input_name TEXT NOT NULL, input_sha256 TEXT NOT NULL, entry_key TEXT NOT NULL,
                source_row INTEGER NOT NULL, filenumber TEXT NOT NULL COLLATE NOCASE, endpoint TEXT NOT NULL,
                reference TEXT, items TEXT NOT NULL, baseline TEXT, body TEXT NOT NULL,
                state TEXT NOT NULL, message TEXT, sent_at TEXT NOT NULL, settled_at TEXT,
                UNIQUE (pipeline, input_sha256, entry_key));
            CREATE INDEX IF NOT EXISTS entries_account ON entries (filenumber, sequence);
            CREATE INDEX IF NOT EXISTS entries_reference ON entries (filenumber, reference);
            CREATE TABLE IF NOT EXISTS changes (
                id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, filenumber TEXT NOT NULL COLLATE NOCASE, endpoint TEXT NOT NULL,
                field TEXT, previous TEXT, new_value TEXT NOT NULL, normalizer TEXT, source_row INTEGER NOT NULL,
                state TEXT NOT NULL, recorded_at TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS changes_run ON changes (run_id, id);
            CREATE INDEX IF NOT EXISTS runs_input ON runs (pipeline, input_sha256);
            """)]),
        Migration(version: 2, summary: "sensitive values of change records protected; change records purged by age", steps: [
            .addColumn(table: "changes", column: "protection", definition: "protection TEXT"),
            .sql("""
                CREATE INDEX IF NOT EXISTS changes_unprotected ON changes (id) WHERE protection IS NULL;
                CREATE INDEX IF NOT EXISTS changes_recorded ON changes (recorded_at);
                """),
        ]),
        Migration(version: 3, summary: "every insert not safe to send twice is a ledger entry: the read that settles it, its sends", steps: [
            .addColumn(table: "entries", column: "lookup", definition: "lookup TEXT NOT NULL DEFAULT 'payments'"),
            .addColumn(table: "entries", column: "sends", definition: "sends INTEGER NOT NULL DEFAULT 1"),
            .sql("""
                CREATE INDEX IF NOT EXISTS entries_lookup ON entries (filenumber, lookup, sequence);
                CREATE INDEX IF NOT EXISTS entries_sequence ON entries (sequence);
                CREATE INDEX IF NOT EXISTS entries_row ON entries (pipeline, input_sha256, source_row);
                """),
        ]),
        Migration(version: 4, summary: "where each row of a file ended, so that a resumed run skips the rows already settled", steps: [
            .sql("""
                CREATE TABLE IF NOT EXISTS row_outcomes (
                    pipeline TEXT NOT NULL, input_sha256 TEXT NOT NULL, source_row INTEGER NOT NULL,
                    outcome TEXT NOT NULL, reason TEXT, run_id TEXT NOT NULL,
                    PRIMARY KEY (pipeline, input_sha256, source_row)) WITHOUT ROWID;
                """),
            .addColumn(table: "runs", column: "rows_to_retry", definition: "rows_to_retry INTEGER"),
        ]),
        Migration(version: 5, summary: "the tenant's rate budget shared by its processes: the pace, the next send slot, the processes leasing", steps: [
            .sql("""
                CREATE TABLE IF NOT EXISTS rate_budget (
                    tenant TEXT PRIMARY KEY, next_slot REAL NOT NULL, rate REAL NOT NULL,
                    last_decrease REAL NOT NULL, last_increase REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS rate_clients (
                    tenant TEXT NOT NULL, client_id TEXT NOT NULL, configured_rate REAL NOT NULL, seen_at REAL NOT NULL,
                    PRIMARY KEY (tenant, client_id)) WITHOUT ROWID;
                """),
        ]),
        Migration(version: 6, summary: "change records purged in the order of their ids; the index on their time dropped (an insert into it on every change record)", steps: [
            .sql("DROP INDEX IF EXISTS changes_recorded;"),
        ]),
    ]

    public static var currentVersion: Int { migrations.last!.version }

    /// A journal written by a newer release: refused (exit 2), never downgraded.
    public struct NewerJournal: Error, CustomStringConvertible {
        public let description: String
    }

    /// The version a journal has reached (nil: written before versions were recorded).
    static func recordedVersion(_ db: Database) throws -> Int? {
        guard try db.tableExists("schema_version") else { return nil }
        return try Int.fetchOne(db, sql: "SELECT MAX(version) FROM schema_version") ?? 0
    }

    /// Brings the journal to `currentVersion`; throws for a journal from a newer release.
    /// A journal from before versions were recorded (0.1.0 and the releases up to the
    /// exactly-once work) gets every step: each one is written to find its work done.
    static func migrate(_ db: Database, path: String) throws {
        let reached = try recordedVersion(db)
        if let reached, reached > currentVersion {
            throw NewerJournal(description: "the run journal \(path) was written by a newer scollect-etl (journal schema \(reached); this release knows up to \(currentVersion)): run that release, or point SCOLLECT_JOURNAL at another journal")
        }
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL, summary TEXT NOT NULL)")
        for migration in migrations where migration.version > (reached ?? 0) {
            for step in migration.steps {
                switch step {
                case let .sql(text):
                    try db.execute(sql: text)
                case let .addColumn(table, column, definition):
                    let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").compactMap { $0["name"] as String? }
                    if !columns.contains(column) { try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN \(definition)") }
                }
            }
            try db.execute(sql: "INSERT OR REPLACE INTO schema_version (version, applied, summary) VALUES (?, ?, ?)",
                           arguments: [migration.version, AuditReport.timestamp(Date()), migration.summary])
        }
    }
}

