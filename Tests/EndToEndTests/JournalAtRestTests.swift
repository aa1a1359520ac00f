import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// A placement that changes an SSN, run over real HTTP against the sandbox, then rolled back:
/// with a journal key the SSN is restored, without one the journal never held it and rollback
/// says it cannot restore it. The journal's files (database, WAL) never hold it in clear.
@Suite(.serialized)
struct JournalAtRestTests {
    static let before = "234-56-7890"

    func run(key: JournalKey?) throws -> (RollbackRunner.Report, String, TestAPI, SandboxServer, String) {
        let (server, folder) = try startSampleSandbox()
        let api = try TestAPI(baseURL: server.baseURL)
        let placement = try #require(try readCSVRecords(repositoryPath("SampleData/placement.csv")).first)
        let filenumber = try #require(placement["Account Number"])
        _ = try api.post("/updatedbase", ["filenumber": filenumber, "fieldname": "socialsecuritynumber", "fieldvalue": Self.before], method: "PUT")

        var config = try PipelineLoader.load(path: repositoryPath("Pipelines/nightly-placement.yml"))
        config.reportsFolder = folder + "/reports"
        config.target.requestsPerSecond = 2000
        var target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "test sandbox", journalPath: folder + "/journal.sqlite")
        target.journalKey = key
        let summary = PipelineRunner(config: config, target: target).run()
        #expect(summary.exitCode == .doneWithRejects, "\(summary.table)")
        let loaded = try #require(try api.account(filenumber)["socialsecuritynumber"])
        #expect(loaded != Self.before, "the placement changed the SSN")

        // Everything the journal wrote to disk, the write-ahead log included, before any checkpoint.
        let disk = ["", "-wal", "-shm"].compactMap { FileManager.default.contents(atPath: folder + "/journal.sqlite" + $0) }
            .map { String(decoding: $0, as: UTF8.self) }.joined()
        for ssn in [Self.before, loaded] { #expect(!disk.contains(ssn) && !disk.contains(ssn.replacingOccurrences(of: "-", with: "")), "\(ssn) in the journal") }

        var options = RollbackRunner.Options()
        options.requestsPerSecond = 2000
        let report = RollbackRunner(journal: try RunJournal(path: folder + "/journal.sqlite", key: key), runId: summary.runId, target: target, options: options)
            .run(reportFolder: folder + "/rollbacks")
        return (report, filenumber, api, server, folder)
    }

    @Test func withAKeyRollbackRestoresTheSSN() throws {
        let (report, filenumber, api, server, _) = try run(key: try testJournalKey())
        defer { server.stop() }
        #expect(report.exitCode == .done, "\(report.abortReason ?? "")")
        #expect(try api.account(filenumber)["socialsecuritynumber"] == Self.before)
    }

    @Test func withoutAKeyRollbackSaysItCannotRestoreTheSSNAndRestoresTheRest() throws {
        let (report, filenumber, api, server, _) = try run(key: nil)
        defer { server.stop() }
        #expect(report.exitCode == .doneWithRejects)
        let ssn = try #require(report.outcomes.first { $0.0.filenumber == filenumber && $0.0.field == "socialsecuritynumber" })
        guard case let .failed(message) = ssn.1 else { Issue.record("\(ssn.1)"); return }
        #expect(message.contains("cannot restore socialsecuritynumber") && message.contains("SCOLLECT_JOURNAL_KEY_FILE"))
        #expect(try api.account(filenumber)["socialsecuritynumber"] != Self.before, "left as the run wrote it")
        #expect(report.restoredCount > 0, "ordinary fields are restored")
    }
}
