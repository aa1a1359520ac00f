import Foundation
import GRDB
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// Sensitive values never reach the journal's files in clear: sealed with the key, withheld
/// without it; change records are purged after the retention, ledger entries never.
struct JournalProtectionTests {
    static let ssnBefore = "598-63-9594", ssnAfter = "864-49-3722"

    func change(run: String = "run1", field: String? = "socialsecuritynumber", previous: String? = ssnBefore, new: String = ssnAfter) -> ChangeRecord {
        ChangeRecord(runId: run, filenumber: "R3001", endpoint: "updatedbase", field: field, previous: previous, newValue: new, normalizer: "ssn", sourceRow: 1)
    }

    /// Every byte the journal left on disk: the database, its write-ahead log and shared memory.
    func bytesOnDisk(_ path: String) -> String {
        [path, path + "-wal", path + "-shm"].compactMap { FileManager.default.contents(atPath: $0) }
            .map { String(decoding: $0, as: UTF8.self) }.joined()
    }

    func key(_ byte: UInt8 = 7) throws -> JournalKey { try JournalKey(bytes: [UInt8](repeating: byte, count: 32)) }

    func expectNoSSNInClear(_ path: String) {
        let disk = bytesOnDisk(path)
        for ssn in [Self.ssnBefore, Self.ssnAfter] {
            #expect(!disk.contains(ssn) && !disk.contains(ssn.replacingOccurrences(of: "-", with: "")), "\(ssn) in clear in \(path)")
        }
    }

    @Test func withAKeySSNsAreSealedAndRestorable() throws {
        let path = try makeTemporaryDirectory("journal") + "/journal.sqlite"
        let journal = try RunJournal(path: path, key: try key())
        try journal.beginRun(id: "run1", pipeline: "p", inputName: "f.csv", inputDigest: "d", target: "t")
        _ = try journal.recordChanges([change(), change(field: "city", previous: "ATLANTA", new: "MOBILE")])
        expectNoSSNInClear(path)
        #expect(bytesOnDisk(path).contains("MOBILE"), "ordinary fields stay in clear")

        let back = try journal.changes(runId: "run1")
        #expect(back[0].previous == Self.ssnBefore && back[0].newValue == Self.ssnAfter && !back[0].previousWithheld)
        #expect(back[1].previous == "ATLANTA" && !back[1].previousWithheld)

        // Another key, or none, opens nothing: the field cannot be restored.
        for other in [try RunJournal(path: path, key: try key(9)), try RunJournal(path: path, key: nil)] {
            let sealed = try other.changes(runId: "run1")[0]
            #expect(sealed.previous == nil && sealed.previousWithheld)
            #expect(!sealed.newValue.contains("9594") && !sealed.newValue.contains("3722"))
        }
    }

    @Test func withoutAKeyThePreviousValueIsNotKeptAndRollbackSaysSo() throws {
        let path = try makeTemporaryDirectory("journal") + "/journal.sqlite"
        let journal = try RunJournal(path: path, key: nil)
        _ = try journal.recordChanges([change(), change(field: "checkaccountnumber", previous: "6195074992", new: "6195074000")])
        expectNoSSNInClear(path)
        #expect(!bytesOnDisk(path).contains("6195074992") && !bytesOnDisk(path).contains("6195074000"))
        let back = try journal.changes(runId: "run1")
        #expect(back[0].previous == nil && back[0].previousWithheld && back[0].newValue == "***-**-3722")
        #expect(back[1].newValue == "******4000")

        let fields = RollbackRunner.fieldChanges(back)
        let allWithheld = fields.allSatisfy { $0.previousWithheld }
        #expect(allWithheld && fields.count == 2)
        #expect(JournalCipher.cannotRestore(field: "socialsecuritynumber").contains("cannot restore socialsecuritynumber"))
    }

    @Test func aJournalWrittenBeforeProtectionIsProtectedWhenOpened() throws {
        let path = try makeTemporaryDirectory("journal") + "/journal.sqlite"
        // The schema and a row as the journal wrote them before: SSNs in clear.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE changes (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, filenumber TEXT NOT NULL COLLATE NOCASE, endpoint TEXT NOT NULL,
                    field TEXT, previous TEXT, new_value TEXT NOT NULL, normalizer TEXT, source_row INTEGER NOT NULL,
                    state TEXT NOT NULL, recorded_at TEXT NOT NULL);
                INSERT INTO changes (run_id, filenumber, endpoint, field, previous, new_value, normalizer, source_row, state, recorded_at)
                VALUES ('old', 'R3001', 'updatedbase', 'socialsecuritynumber', '\(Self.ssnBefore)', '\(Self.ssnAfter)', 'ssn', 1, 'made', '2026-01-01T00:00:00.000Z');
                """)
        }
        try queue.close()
        #expect(bytesOnDisk(path).contains(Self.ssnBefore), "the old journal holds it in clear")
        let journal = try RunJournal(path: path, key: try key())
        expectNoSSNInClear(path)
        #expect(try journal.changes(runId: "old")[0].previous == Self.ssnBefore)
    }

    @Test func retentionPurgesChangeRecordsOnlyNeverLedgerEntriesOrLoadedFiles() throws {
        let path = try makeTemporaryDirectory("journal") + "/journal.sqlite"
        do {
            let journal = try RunJournal(path: path, key: nil)
            try journal.beginRun(id: "run1", pipeline: "p", inputName: "f.csv", inputDigest: "d", target: "t")
            _ = try journal.recordChanges([change(field: "city", previous: "ATLANTA", new: "MOBILE")])
            try journal.recordIntent(LedgerKey(pipeline: "p", inputDigest: "d", key: "row:1"), runId: "run1", inputName: "f.csv", sourceRow: 1,
                                     filenumber: "R3001", endpoint: "insert_payments_external", reference: "INV-1", read: .payments, items: [], baseline: nil, maskedBody: "{}")
            try journal.finishRun(id: "run1", exitCode: 0, summary: "{}")
            #expect(try journal.purgeChanges(olderThanDays: 400) == 0, "a fresh record is kept")
            #expect(try journal.purgeChanges(olderThanDays: 400, now: Date().addingTimeInterval(401 * 86_400)) == 1)
            #expect(try journal.changes(runId: "run1").isEmpty)
            #expect(try journal.entries(runId: "run1").count == 1, "ledger entries are kept")
            #expect(try journal.completedRun(pipeline: "p", inputDigest: "d")?.runId == "run1", "the loaded file is still known")
        }
        #expect(!bytesOnDisk(path).contains("MOBILE"), "a purged record is overwritten on disk")
    }

    /// The purge walks the records in id order up to the first one young enough to keep: every
    /// record it deletes is older than the retention, none younger is touched, and a record whose
    /// machine's clock ran behind waits for the ones before it.
    @Test func retentionPurgesInIdOrderUpToTheFirstRecordToKeep() throws {
        let path = try makeTemporaryDirectory("journal") + "/journal.sqlite"
        let journal = try RunJournal(path: path, key: nil)
        try journal.beginRun(id: "run1", pipeline: "p", inputName: "f.csv", inputDigest: "d", target: "t")
        for city in ["A", "B", "C", "D", "E"] { _ = try journal.recordChanges([change(field: "city", previous: "X", new: city)]) }
        // A and B old, C young, D old (a clock behind), E young.
        let times = ["A": "2020-01-01T00:00:00.000Z", "B": "2020-01-02T00:00:00.000Z", "C": "2026-12-01T00:00:00.000Z",
                     "D": "2020-01-03T00:00:00.000Z", "E": "2026-12-02T00:00:00.000Z"]
        try DatabaseQueue(path: path).write { db in
            for (city, time) in times { try db.execute(sql: "UPDATE changes SET recorded_at = ? WHERE new_value = ?", arguments: [time, city]) }
        }
        let now = ISO8601DateFormatter().date(from: "2026-12-03T00:00:00Z")!
        #expect(try journal.purgeChanges(olderThanDays: 30, now: now) == 2)
        #expect(try journal.changes(runId: "run1").map(\.newValue) == ["C", "D", "E"])
        #expect(try journal.purgeChanges(olderThanDays: 1, now: now) == 2, "C is old now, and so D behind it")
        #expect(try journal.changes(runId: "run1").map(\.newValue) == ["E"])
        #expect(try journal.purgeChanges(olderThanDays: 0, now: now) == 1, "all old: all purged")
        #expect(try journal.changes(runId: "run1").isEmpty)
        #expect(try journal.purgeChanges(olderThanDays: 0, now: now) == 0, "an empty table")
    }

    @Test func aKeyFileOthersCanReadIsRefused() throws {
        let folder = try makeTemporaryDirectory("journal")
        let path = folder + "/journal.key"
        try Data([UInt8](repeating: 1, count: 32)).base64EncodedString().write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        #expect(throws: JournalError.self) { try JournalKey.fromEnvironment([JournalKey.environmentVariable: path]) }
        chmod(path, 0o600)
        #expect(try JournalKey.fromEnvironment([JournalKey.environmentVariable: path]) != nil)
        #expect(try JournalKey.fromEnvironment([:]) == nil)
    }

    @Test func theRetentionIsReadFromThePipeline() throws {
        let folder = try makeTemporaryDirectory("journal")
        var text = try String(contentsOfFile: repositoryPath("Pipelines/nightly-placement.yml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "../SampleData/", with: repositoryPath("SampleData") + "/")
        try text.write(toFile: folder + "/default.yml", atomically: true, encoding: .utf8)
        #expect(try PipelineLoader.load(path: folder + "/default.yml").journalRetentionDays == 400)
        try (text + "\njournal:\n  retention_days: 30\n").write(toFile: folder + "/short.yml", atomically: true, encoding: .utf8)
        #expect(try PipelineLoader.load(path: folder + "/short.yml").journalRetentionDays == 30)
    }
}
