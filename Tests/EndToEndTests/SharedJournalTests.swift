import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// One journal, several writers: two different pipeline files over the same payments file,
/// started at once as two processes, book each reference once; two tenants on one host, with
/// the same file numbers and references, never see each other's bookings.
@Suite(.serialized)
struct SharedJournalTests {
    /// `Pipelines/bulk-payments.yml` renamed (so the run lock does not serialise the two), with
    /// absolute paths and its own reports folder.
    static func pipeline(named name: String, in folder: String) throws -> String {
        let text = try String(contentsOfFile: repositoryPath("Pipelines/bulk-payments.yml"), encoding: .utf8)
            .replacingOccurrences(of: "name: bulk-payments", with: "name: \(name)")
            .replacingOccurrences(of: "../SampleData/", with: repositoryPath("SampleData") + "/")
            .replacingOccurrences(of: "folder: ../reports/bulk-payments", with: "folder: \(folder)/reports-\(name)")
        let path = folder + "/\(name).yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func start(_ pipeline: String, url: String, apikey: String = SandboxConfiguration.defaultAPIKey,
                      journal: String?, stateFolder: String, environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
        process.arguments = ["run", pipeline, "--quiet"]
        var env = ProcessInfo.processInfo.environment
        env["SCOLLECT_URL"] = url
        env["SCOLLECT_APIKEY"] = apikey
        env["SCOLLECT_PIN"] = SandboxConfiguration.defaultPIN
        env["SCOLLECT_JOURNAL"] = journal
        env["SCOLLECT_STATE_DIR"] = stateFolder
        env.merge(environment) { $1 }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: stateFolder)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func summary(_ folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/latest/summary.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// Both stores: the SQLite file, and one PostgreSQL database (as two machines would share it).
    @Test(arguments: JournalStoreKind.testable)
    func twoPipelineFilesStartedAtOnceBookEachReferenceOnce(_ kind: JournalStoreKind) throws {
        let expected = try PaymentImportTests.Expected("payments")
        let (server, folder) = try startSampleSandbox(faultSeed: 3)
        defer { server.stop() }
        // Some answers lost after the commit, so that both runs reconcile as well as book.
        server.setShare(0.05, of: .close)
        let api = try TestAPI(baseURL: server.baseURL)
        let before = try PaymentImportTests.serverPayments(api, expected.booked.keys)
        let (journal, environment) = kind == .sqlite ? (folder + "/journal.sqlite", [:])
            : (try PostgresTestServer.server().journalURL(), try PostgresTestServer.server().environment)
        // The PostgreSQL server is the test process's own: the sandbox's tenant is new there.
        let apikey = SandboxConfiguration.defaultAPIKey
        let runs = try ["payments-east", "payments-west"].map { name in
            try Self.start(try Self.pipeline(named: name, in: folder), url: server.baseURL, apikey: apikey, journal: journal, stateFolder: folder,
                           environment: environment)
        }
        for run in runs { run.waitUntilExit() }
        #expect(runs.allSatisfy { $0.terminationStatus == 1 }, "\(runs.map(\.terminationStatus))")
        PaymentImportTests.expectBookedOnce(expected, before: before, after: try PaymentImportTests.serverPayments(api, expected.booked.keys))
        // Between them, each valid row was booked by exactly one of the two.
        // Between them, each valid row was booked by one of the two; a row whose outcome one run
        // could not tell (the other was sending it) is reported for a retry, never booked twice.
        let summaries = try ["payments-east", "payments-west"].map { try Self.summary(folder + "/reports-\($0)") }
        let written = summaries.map { $0["written"] as! Int }.reduce(0, +)
        let toRetry = summaries.map { $0["rows_to_retry"] as! Int }.reduce(0, +)
        #expect(written <= expected.bookedCount && written + toRetry >= expected.bookedCount, "\(written) written, \(toRetry) to retry")
        let entries = try kind.open(JournalLocation.forTenant(journal, apikey: apikey), environment: environment).allEntries()
            .filter { $0.state == .booked }
        #expect(entries.count == written, "the journal's booked entries against the runs' written rows")
        let references = entries.map { "\($0.filenumber.uppercased())|\($0.reference ?? "")" }
        #expect(references.count == Set(references).count, "a reference booked twice in the journal")
    }

    @Test func twoTenantsOnOneHostDoNotShareALedger() throws {
        let expected = try PaymentImportTests.Expected("payments")
        // Two tenants on one host: two sandboxes would be two hosts, so both agencies use the
        // same server with two apikeys, and the journal is the default one (no SCOLLECT_JOURNAL).
        let folder = try makeTemporaryDirectory("tenants")
        let secondKey = "agency-two-" + SandboxConfiguration.defaultAPIKey
        var configuration = SandboxConfiguration(databasePath: folder + "/sandbox.sqlite", port: 0,
                                                 seedFiles: [repositoryPath("SampleData/sandbox-accounts.json")])
        configuration.otherTenantAPIKeys = [secondKey]
        let server = try SandboxServer.start(configuration)
        defer { server.stop() }
        let pipeline = try Self.pipeline(named: "bulk-payments", in: folder)
        let first = try Self.start(pipeline, url: server.baseURL, journal: nil, stateFolder: folder)
        first.waitUntilExit()
        let firstSummary = try Self.summary(folder + "/reports-bulk-payments")
        #expect(first.terminationStatus == 1)
        #expect(firstSummary["written"] as? Int == expected.bookedCount)
        // The second agency loads a file with the same accounts and references.
        let second = try Self.start(pipeline, url: server.baseURL, apikey: secondKey, journal: nil, stateFolder: folder)
        second.waitUntilExit()
        let secondSummary = try Self.summary(folder + "/reports-bulk-payments")
        #expect(second.terminationStatus == 1, "the second tenant's load is not refused as loaded before")
        #expect(secondSummary["written"] as? Int == expected.bookedCount, "\(secondSummary["rejects_by_reason"] ?? [:])")
        // The same rejects as the first tenant's (the file's own, a duplicate reference within it
        // included): no false DUPLICATE_PAYMENT from the other tenant's bookings.
        #expect((secondSummary["rejects_by_reason"] as? [String: Int]) == (firstSummary["rejects_by_reason"] as? [String: Int]))
        let journals = try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sqlite") && $0.contains("journals") }
        #expect(journals.count == 2, "one journal per tenant: \(journals)")
    }
}
