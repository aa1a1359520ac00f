import Foundation
import GRDB
@testable import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Journals written by earlier releases are upgraded in place on first open, their ledger
/// intact; one written by a newer release is refused. The fixtures are real journals: the
/// 0.1.0 binary (commit a926c91) and the commit before the ledger held every insert (ba5def2),
/// each after `run Pipelines/bulk-payments.yml` (132 payments booked) on the embedded sandbox.
@Suite struct JournalSchemaTests {
    static let fixtures = ["journal-0.1.0.sqlite", "journal-ba5def2.sqlite"]

    func copy(_ fixture: String) throws -> String {
        let path = try makeTemporaryDirectory("upgrade") + "/journal.sqlite"
        try FileManager.default.copyItem(atPath: repositoryPath("Tests/Fixtures/journals/" + fixture), toPath: path)
        return path
    }

    @Test func theMigrationsAreOneNumberedList() {
        #expect(JournalSchema.migrations.map(\.version) == Array(1...JournalSchema.migrations.count))
    }

    @Test(arguments: fixtures)
    func anEarlierJournalIsUpgradedInPlaceWithItsLedger(_ fixture: String) throws {
        let path = try copy(fixture)
        let before = try DatabaseQueue(path: path).read { db in
            (try Row.fetchAll(db, sql: "SELECT entry_key, state, items, reference FROM entries ORDER BY id"),
             try db.tableExists("schema_version"))
        }
        #expect(before.0.count == 132)
        #expect(before.1 == false, "the fixture predates schema versions")

        let journal = try RunJournal(path: path, key: nil)
        let entries = try journal.allEntries()
        #expect(entries.count == 132)
        #expect(entries.allSatisfy { $0.state == .booked && $0.read == .payments && $0.sends == 1 && $0.items.count == 1 })
        #expect(entries.map(\.key) == before.0.map { $0["entry_key"] as String })
        #expect(try journal.runs().contains { $0.pipeline == "bulk-payments" })
        let versions = try DatabaseQueue(path: path).read { db in try Int.fetchAll(db, sql: "SELECT version FROM schema_version ORDER BY version") }
        #expect(versions == JournalSchema.migrations.map(\.version))
        // Opening it again changes nothing.
        _ = try RunJournal(path: path, key: nil)
        #expect(try journal.allEntries().count == 132)
    }

    /// The upgraded journal still stops the same payments file from booking anything again.
    @Test(arguments: fixtures)
    func theUpgradedLedgerStillKnowsWhatWasBooked(_ fixture: String) throws {
        let path = try copy(fixture)
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        var config = try PipelineLoader.load(path: repositoryPath("Pipelines/bulk-payments.yml"))
        config.reportsFolder = folder + "/reports"
        config.target.requestsPerSecond = 2000
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "test sandbox", journalPath: path)
        let again = PipelineRunner(config: config, target: target).run()
        #expect(again.exitCode == .inputHeld, "\(again.abortReason ?? "")")
        var options = RunOptions()
        options.force = true
        let forced = PipelineRunner(config: config, target: target, options: options).run()
        #expect([.done, .doneWithRejects].contains(forced.exitCode), "\(forced.abortReason ?? "")")
        #expect(forced.callsByEndpoint["insert_payments_external"] == nil, "a payment booked before the upgrade was sent again")
        #expect(forced.rowsRead == 141)
    }

    @Test func aJournalFromANewerReleaseIsRefused() throws {
        let path = try makeTemporaryDirectory("newer") + "/journal.sqlite"
        _ = try RunJournal(path: path, key: nil)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO schema_version (version, applied, summary) VALUES (99, 'later', 'from the future')")
        }
        #expect(throws: JournalSchema.NewerJournal.self) { try RunJournal(path: path, key: nil) }
        // A run stops before any call, exit 2, saying why.
        var config = try PipelineLoader.load(path: repositoryPath("Pipelines/bulk-payments.yml"))
        config.reportsFolder = try makeTemporaryDirectory("newer-reports")
        let target = RunTarget(baseURL: "http://127.0.0.1:9", credentials: Credentials(apikey: "k", pin: "1"), description: "nowhere", journalPath: path)
        let summary = PipelineRunner(config: config, target: target).run()
        #expect(summary.exitCode == .badPipelineOrArguments)
        #expect(summary.abortReason?.contains("newer scollect-etl") == true, "\(summary.abortReason ?? "")")
    }
}
