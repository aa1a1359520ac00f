import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// A payment import killed at random points, and interrupted politely, then resumed: in the
/// end every valid row is booked exactly once — none lost, none doubled — even with the
/// sandbox dropping connections after it committed.
@Suite(.serialized)
struct KillAndResumeTests {
    /// The sample payment pipeline with absolute paths and its reports in `folder`.
    func writePipeline(in folder: String) throws -> String {
        var text = try String(contentsOfFile: repositoryPath("Pipelines/bulk-payments.yml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "../SampleData/", with: repositoryPath("SampleData") + "/")
            .replacingOccurrences(of: "folder: ../reports/bulk-payments", with: "folder: \(folder)/reports")
            .replacingOccurrences(of: "requests_per_second: 100", with: "requests_per_second: 30")
        let path = folder + "/bulk-payments.yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func start(_ pipeline: String, server: SandboxServer, journal: String, in folder: String) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.executable)
        process.arguments = ["run", pipeline, "--quiet"]
        var env = ProcessInfo.processInfo.environment
        env["SCOLLECT_URL"] = server.baseURL
        env["SCOLLECT_APIKEY"] = SandboxConfiguration.defaultAPIKey
        env["SCOLLECT_PIN"] = SandboxConfiguration.defaultPIN
        env["SCOLLECT_JOURNAL"] = journal
        env["SCOLLECT_STATE_DIR"] = folder + "/.scollect" // never the developer's home
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        return (process, errors)
    }

    /// Runs to the end (a resumed run may itself have work left only if it was cut short).
    func runToCompletion(_ pipeline: String, server: SandboxServer, journal: String, in folder: String) throws -> (status: Int32, stderr: String) {
        let (process, errors) = try start(pipeline, server: server, journal: journal, in: folder)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stderr)
    }

    func latestSummary(in folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/reports/latest/summary.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    @Test func sigkillAtRandomPointsThenResumeBooksEachPaymentExactlyOnce() throws {
        let expected = try PaymentImportTests.Expected("payments")
        let (server, folder) = try startSampleSandbox(faultSeed: 7)
        defer { server.stop() }
        let api = try TestAPI(baseURL: server.baseURL)
        let before = try PaymentImportTests.serverPayments(api, expected.booked.keys)
        // 5% of committed writes each: closed without a byte, half an answer, 502, TIMEOUT, empty 200.
        for fault in AfterCommitFault.allCases { server.setShare(0.05, of: fault) }
        let pipeline = try writePipeline(in: folder)
        let journal = folder + "/journal.sqlite"

        var random = SplitMix64(seed: 20_261_123)  // fixed: a failing sequence of kill times replays
        // At 30 requests/s a whole import takes about 8 s; each run is killed within its first
        // second, so it takes about 20 kills to get through the file.
        var kills: [Double] = []
        var finishedEarly = 0
        while kills.count < 20 && finishedEarly == 0 {
            let delay = Double.random(in: 0.05...0.8, using: &random)
            let (process, errors) = try start(pipeline, server: server, journal: journal, in: folder)
            // Drain stderr on a thread of its own so a full pipe never blocks the child.
            let drain = Thread { _ = errors.fileHandleForReading.readDataToEndOfFile() }
            drain.start()
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills.append(delay)
            } else {
                finishedEarly += 1
            }
            process.waitUntilExit()
        }
        #expect(kills.count == 20, "20 runs killed mid-way (killed at \(kills); a run finished before its kill: \(finishedEarly))")

        let final = try runToCompletion(pipeline, server: server, journal: journal, in: folder)
        #expect(final.status == 1, "done with the sample's rejects; stderr: \(final.stderr)")
        let summary = try latestSummary(in: folder)
        let rejected = summary["rejects_by_reason"] as? [String: Int] ?? [:]
        #expect(rejected["OUTCOME_UNKNOWN"] == nil && rejected["ACCOUNT_UNSETTLED"] == nil, "every lost answer was settled: \(rejected)")
        #expect(summary["rejected"] as? Int == expected.rejectedRows.count, "\(rejected)")
        #expect((summary["written"] as! Int) + (summary["unchanged"] as! Int) + (summary["rejected"] as! Int) == expected.rows)
        PaymentImportTests.expectBookedOnce(expected, before: before,
                                            after: try PaymentImportTests.serverPayments(api, expected.booked.keys))
        // The journal saw writes whose answer was lost (killed in flight, or dropped) and settled
        // every one by reconciliation; nothing is left open.
        let entries = try RunJournal(path: journal).allEntries()
        #expect(entries.contains { $0.message?.contains("reconciled") == true || $0.message?.contains("found on the server") == true })
        #expect(entries.allSatisfy { $0.state == .booked || $0.state == .refused }, "\(entries.filter { $0.state != .booked }.map { "\($0.key) \($0.state) \($0.message ?? "")" })")
        #expect(entries.filter { $0.state == .booked }.count == expected.bookedCount)
        let stats = server.stats
        #expect(AfterCommitFault.allCases.allSatisfy { stats.count(of: $0) > 0 },
                "every shape was dealt at least once: \(AfterCommitFault.allCases.map { "\($0.statsKey)=\(stats.count(of: $0))" })")
    }

    @Test func sigtermFinishesTheCallsInFlightExitsSevenAndSaysHowToResume() throws {
        let expected = try PaymentImportTests.Expected("payments")
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let api = try TestAPI(baseURL: server.baseURL)
        let before = try PaymentImportTests.serverPayments(api, expected.booked.keys)
        var text = try String(contentsOfFile: try writePipeline(in: folder), encoding: .utf8)
        text = text.replacingOccurrences(of: "requests_per_second: 30", with: "requests_per_second: 60")
        let pipeline = folder + "/slow.yml"
        try text.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let journal = folder + "/journal.sqlite"

        let (process, errors) = try start(pipeline, server: server, journal: journal, in: folder)
        Thread.sleep(forTimeInterval: 1.0)
        kill(process.processIdentifier, SIGTERM)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 7, "stderr: \(stderr)")
        #expect(stderr.contains("run the same command again"), "stderr: \(stderr)")
        let interrupted = try latestSummary(in: folder)
        #expect((interrupted["rows_read"] as! Int) < expected.rows)
        // The reports of the interrupted run were flushed and can be read.
        let folderOfRun = interrupted["report_folder"] as! String
        _ = try readGzipFile(folderOfRun + "/audit.jsonl.gz")
        _ = try readGzipFile(folderOfRun + "/rejects.csv.gz")

        let resumed = try runToCompletion(pipeline, server: server, journal: journal, in: folder)
        #expect(resumed.status == 1, "stderr: \(resumed.stderr)")
        for card in try PaymentImportTests.cardNumbers(in: "SampleData/payments.csv", column: "Card Number") {
            #expect(!stderr.contains(card) && !resumed.stderr.contains(card), "the log shows a card number")
        }
        PaymentImportTests.expectBookedOnce(expected, before: before,
                                            after: try PaymentImportTests.serverPayments(api, expected.booked.keys))
    }
}
