import Foundation

/// The journal's numbered migrations (`JournalSchema`) spelled for PostgreSQL: the same
/// versions, the same tables and columns, in the tenant's own schema (`scollect_<tenant>`).
/// `filenumber` compares without regard to case, as SQLite's `COLLATE NOCASE` does, through an
/// ICU collation of the schema.
enum PostgresJournalSchema {
    /// Statements of each version, oldest first; the version numbers are `JournalSchema`'s.
    static let migrations: [(version: Int, sql: [String])] = [
        (1, [
            "CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
            """
            CREATE TABLE IF NOT EXISTS runs (
                run_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, input_name TEXT NOT NULL, input_sha256 TEXT NOT NULL,
                target TEXT NOT NULL, started TEXT NOT NULL, finished TEXT, exit_code BIGINT, summary TEXT)
            """,
            """
            CREATE TABLE IF NOT EXISTS entries (
                id BIGSERIAL PRIMARY KEY, sequence BIGINT NOT NULL, run_id TEXT NOT NULL,
                pipeline TEXT NOT NULL, input_name TEXT NOT NULL, input_sha256 TEXT NOT NULL, entry_key TEXT NOT NULL,
                source_row BIGINT NOT NULL, filenumber TEXT COLLATE nocase NOT NULL, endpoint TEXT NOT NULL,
                reference TEXT, items TEXT NOT NULL, baseline TEXT, body TEXT NOT NULL,
                state TEXT NOT NULL, message TEXT, sent_at TEXT NOT NULL, settled_at TEXT,
                UNIQUE (pipeline, input_sha256, entry_key))
            """,
            "CREATE INDEX IF NOT EXISTS entries_account ON entries (filenumber, sequence)",
            "CREATE INDEX IF NOT EXISTS entries_reference ON entries (filenumber, reference)",
            """
            CREATE TABLE IF NOT EXISTS changes (
                id BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL, filenumber TEXT COLLATE nocase NOT NULL, endpoint TEXT NOT NULL,
                field TEXT, previous TEXT, new_value TEXT NOT NULL, normalizer TEXT, source_row BIGINT NOT NULL,
                state TEXT NOT NULL, recorded_at TEXT NOT NULL)
            """,
            "CREATE INDEX IF NOT EXISTS changes_run ON changes (run_id, id)",
            "CREATE INDEX IF NOT EXISTS runs_input ON runs (pipeline, input_sha256)",
        ]),
        (2, [
            "ALTER TABLE changes ADD COLUMN IF NOT EXISTS protection TEXT",
            "CREATE INDEX IF NOT EXISTS changes_unprotected ON changes (id) WHERE protection IS NULL",
            "CREATE INDEX IF NOT EXISTS changes_recorded ON changes (recorded_at)",
        ]),
        (3, [
            "ALTER TABLE entries ADD COLUMN IF NOT EXISTS lookup TEXT NOT NULL DEFAULT 'payments'",
            "ALTER TABLE entries ADD COLUMN IF NOT EXISTS sends BIGINT NOT NULL DEFAULT 1",
            "CREATE INDEX IF NOT EXISTS entries_lookup ON entries (filenumber, lookup, sequence)",
            "CREATE INDEX IF NOT EXISTS entries_sequence ON entries (sequence)",
            "CREATE INDEX IF NOT EXISTS entries_row ON entries (pipeline, input_sha256, source_row)",
        ]),
        (4, [
            """
            CREATE TABLE IF NOT EXISTS row_outcomes (
                pipeline TEXT NOT NULL, input_sha256 TEXT NOT NULL, source_row BIGINT NOT NULL,
                outcome TEXT NOT NULL, reason TEXT, run_id TEXT NOT NULL,
                PRIMARY KEY (pipeline, input_sha256, source_row))
            """,
            "ALTER TABLE runs ADD COLUMN IF NOT EXISTS rows_to_retry BIGINT",
            // PostgreSQL only: who holds a pipeline's run lock (SQLite's is a file beside the journal).
            "CREATE TABLE IF NOT EXISTS run_locks (pipeline TEXT PRIMARY KEY, holder TEXT NOT NULL)",
        ]),
        (5, [
            """
            CREATE TABLE IF NOT EXISTS rate_budget (
                tenant TEXT PRIMARY KEY, next_slot DOUBLE PRECISION NOT NULL, rate DOUBLE PRECISION NOT NULL,
                last_decrease DOUBLE PRECISION NOT NULL, last_increase DOUBLE PRECISION NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS rate_clients (
                tenant TEXT NOT NULL, client_id TEXT NOT NULL, configured_rate DOUBLE PRECISION NOT NULL,
                seen_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (tenant, client_id))
            """,
        ]),
        (6, [
            "DROP INDEX IF EXISTS changes_recorded",
        ]),
    ]

    /// Brings the tenant's schema to the newest version, in one transaction under a lock of
    /// its own (two processes opening a new tenant at once). Throws `NewerJournal` for a schema
    /// a newer release wrote.
    static func migrate(_ db: any JournalConnection, schema: String, location: String) throws {
        try db.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", bind("scollect-journal-migrate:" + schema))
        try db.execute("CREATE SCHEMA IF NOT EXISTS \(schema)")
        try db.execute("SET LOCAL search_path TO \(schema)")
        try db.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied TEXT NOT NULL, summary TEXT NOT NULL)")
        let reached = try db.row("SELECT COALESCE(MAX(version), 0) AS reached FROM schema_version")?.int("reached") ?? 0
        if reached > JournalSchema.currentVersion {
            throw JournalSchema.NewerJournal(description: "the run journal \(location) was written by a newer scollect-etl (journal schema \(reached); this release knows up to \(JournalSchema.currentVersion)): run that release, or point SCOLLECT_JOURNAL at another journal")
        }
        for migration in migrations where migration.version > reached {
            for statement in migration.sql { try db.execute(statement) }
            let summary = JournalSchema.migrations.first { $0.version == migration.version }?.summary ?? ""
            try db.execute("INSERT INTO schema_version (version, applied, summary) VALUES (?, ?, ?) ON CONFLICT (version) DO NOTHING",
                           bind(migration.version), bind(AuditReport.timestamp(Date())), bind(summary))
        }
    }
}
