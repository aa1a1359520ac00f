import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Two "machines" (each its own working folder, state directory and reports folder, so no
/// local lock or file is shared) run one tenant's payment pipeline against one PostgreSQL
/// journal: the run lock and the record of loaded files hold across them, and a run killed on
/// one is resumed by the other without a payment booked twice.
@Suite(.serialized, .enabled(if: PostgresTestServer.available, "PostgreSQL is not installed (apt-get install postgresql); CI=true requires it"))
struct TwoMachinesOneJournalTests {
    static func machine(_ name: String, root: String) throws -> (folder: String, pipeline: String) {
        let folder = root + "/" + name
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // 30 requests/s: the file takes about 5 s, time for the other machine to try.
        let text = try String(contentsOfFile: repositoryPath("Pipelines/bulk-payments.yml"), encoding: .utf8)
            .replacingOccurrences(of: "../SampleData/", with: repositoryPath("SampleData") + "/")
            .replacingOccurrences(of: "folder: ../reports/bulk-payments", with: "folder: \(folder)/reports")
            .replacingOccurrences(of: "requests_per_second: 100", with: "requests_per_second: 30")
        try text.write(toFile: folder + "/bulk-payments.yml", atomically: true, encoding: .utf8)
        return (folder, folder + "/bulk-payments.yml")
    }

    static func start(_ machine: (folder: String, pipeline: String), server: SandboxServer, apikey: String) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
        process.arguments = ["run", machine.pipeline, "--quiet"]
        var env = ProcessInfo.processInfo.environment
        env["SCOLLECT_URL"] = server.baseURL
        env["SCOLLECT_APIKEY"] = apikey
        env["SCOLLECT_PIN"] = SandboxConfiguration.defaultPIN
        env["SCOLLECT_STATE_DIR"] = machine.folder + "/state"
        env.merge(try PostgresTestServer.server().environment) { $1 }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: machine.folder)
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        return (process, errors)
    }

    static func finish(_ started: (Process, Pipe)) -> (status: Int32, stderr: String) {
        let data = started.1.fileHandleForReading.readDataToEndOfFile()
        started.0.waitUntilExit()
        return (started.0.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func theLockAndTheLoadedFileHoldAcrossMachinesAndAKilledRunIsResumedOnTheOther() throws {
        let expected = try PaymentImportTests.Expected("payments")
        let root = try makeTemporaryDirectory("two-machines")
        let apikey = "two-machines-" + SandboxConfiguration.defaultAPIKey  // a tenant of its own in the test server
        var configuration = SandboxConfiguration(databasePath: root + "/sandbox.sqlite", port: 0,
                                                 seedFiles: [repositoryPath("SampleData/sandbox-accounts.json")])
        configuration.apikey = apikey
        let server = try SandboxServer.start(configuration)
        defer { server.stop() }
        server.setShare(0.05, of: .close)
        let api = try TestAPI(baseURL: server.baseURL, apikey: apikey)
        let before = try PaymentImportTests.serverPayments(api, expected.booked.keys)
        let (a, b) = (try Self.machine("machine-a", root: root), try Self.machine("machine-b", root: root))

        let first = try Self.start(a, server: server, apikey: apikey)
        Thread.sleep(forTimeInterval: 1.5)
        let meanwhile = Self.finish(try Self.start(b, server: server, apikey: apikey))
        #expect(meanwhile.status == 4, "machine B started the pipeline machine A is running: \(meanwhile.stderr)")
        #expect(meanwhile.stderr.contains("another run of pipeline bulk-payments is in progress") && meanwhile.stderr.contains("sharing the journal"),
                "held by the journal's lock, not a local one: \(meanwhile.stderr)")
        kill(first.0.processIdentifier, SIGKILL)
        _ = Self.finish(first)

        // Machine B resumes the file: the lock went with the process, the ledger stayed.
        let resumed = Self.finish(try Self.start(b, server: server, apikey: apikey))
        #expect(resumed.status == 1, "done with the sample's rejects: \(resumed.stderr)")
        PaymentImportTests.expectBookedOnce(expected, before: before, after: try PaymentImportTests.serverPayments(api, expected.booked.keys))
        // Machine A, restarted, is told the file was loaded (on B).
        let again = Self.finish(try Self.start(a, server: server, apikey: apikey))
        #expect(again.status == 4, "\(again.stderr)")
        #expect(again.stderr.contains("loaded"), "\(again.stderr)")
    }
}
