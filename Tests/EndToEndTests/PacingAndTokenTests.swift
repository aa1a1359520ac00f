import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Rate limits and expiring tokens, against the sandbox over real HTTP. A small slice of the
/// sample keeps these under a few seconds.
@Suite(.serialized)
struct PacingAndTokenTests {
    /// The first `rows` data rows of the sample placement.
    func sampleSlice(rows: Int, in folder: String) throws -> String {
        let text = try String(contentsOfFile: repositoryPath("SampleData/placement.csv"), encoding: .utf8)
        let lines = text.components(separatedBy: "\r\n")
        let path = folder + "/slice.csv"
        try (lines.prefix(rows + 1).joined(separator: "\r\n") + "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func config(input: String, folder: String, rate: Double) throws -> PipelineConfig {
        var config = try PipelineLoader.load(path: repositoryPath("Pipelines/nightly-placement.yml"))
        config.source.path = input
        config.reportsFolder = folder + "/reports"
        config.target.requestsPerSecond = rate
        return config
    }

    func target(_ server: SandboxServer) -> RunTarget {
        RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                  description: server.baseURL)
    }

    @Test func noSlidingSecondHoldsMoreThanTheConfiguredRate() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let rate = 40.0
        let summary = PipelineRunner(config: try config(input: try sampleSlice(rows: 30, in: folder), folder: folder, rate: rate),
                                     target: target(server)).run()
        #expect(summary.rowsRead == 30)
        #expect(summary.callsMade > Int(rate) * 2, "enough calls to span several seconds")
        let stats = try TestAPI(baseURL: server.baseURL).stats()
        let maxInAnySecond = stats["max_in_any_second"]?.stringValue.flatMap(Int.init) ?? Int.max
        // +1: the TestAPI login above is not paced by the run.
        #expect(maxInAnySecond <= Int(rate) + 1, "max in any second \(maxInAnySecond)")
    }

    @Test func serverRateLimitIsHonouredWithRetryAfterAndNothingIsLost() throws {
        let (server, folder) = try startSampleSandbox(rateLimit: 15)
        defer { server.stop() }
        let summary = PipelineRunner(config: try config(input: try sampleSlice(rows: 12, in: folder), folder: folder, rate: 60),
                                     target: target(server)).run()
        #expect(summary.rowsRead == 12)
        #expect(summary.written + summary.unchanged + summary.rejected == 12)
        #expect(summary.exitCode == .done || summary.exitCode == .doneWithRejects, "\(summary.abortReason ?? "")")
        let audit = try readGzipFile(summary.reportFolder + "/audit.jsonl.gz")
        #expect(audit.contains("\"outcome\":\"rate_limited\""), "the server's limit was hit and answered with 429")
        #expect(summary.rejectsByReason[.httpError] == nil)
    }

    @Test func anExpiredTokenLeadsToANewLoginNotToRejects() throws {
        let (server, folder) = try startSampleSandbox(tokenTTL: 2)
        defer { server.stop() }
        // 20 rows at 15 calls/s last over two token lifetimes.
        let summary = PipelineRunner(config: try config(input: try sampleSlice(rows: 20, in: folder), folder: folder, rate: 15),
                                     target: target(server)).run()
        #expect(summary.elapsedSeconds > 4)
        #expect((summary.callsByEndpoint["login"] ?? 0) >= 2)
        #expect(summary.rejectsByReason[.httpError] == nil)
        #expect(summary.written + summary.unchanged + summary.rejected == 20)
    }
}
