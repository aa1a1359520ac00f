import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// A degraded API is not a down API: against 20% HTTP 500s, 10% dropped connections, 5% of
/// committed writes closed without a byte, a server rate limit of a tenth of the pipeline's pace
/// and 3-second tokens, the nightly placement — with the pipeline's own retry settings —
/// completes in at most two runs (the run, then the same command again), and the server ends
/// as a clean run leaves it.
@Suite(.serialized)
struct DegradedIsNotDownTests {
    static let pipelineRate = 400.0

    static func run(_ config: PipelineConfig, _ server: SandboxServer, journal: String) -> RunSummary {
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "degraded sandbox", journalPath: journal)
        return PipelineRunner(config: config, target: target).run()
    }

    /// Phones and the loader's notes of every account, as the server holds them.
    static func writtenRecords(_ server: SandboxServer) throws -> [String: [String]] {
        var records: [String: [String]] = [:]
        for row in try server.store.query("SELECT filenumber AS k, 'phone ' || phonenumber AS v FROM phones UNION ALL SELECT filenumber, 'note ' || collectorname || '|' || logmessage FROM notes") {
            records[(row["k"]?.stringValue ?? "").uppercased(), default: []].append(row["v"]?.stringValue ?? "")
        }
        return records.mapValues { $0.sorted() }
    }

    @Test func theNightlyPlacementCompletesInAtMostTwoRuns() throws {
        let expected = try NightlyPlacementTests.Expected()
        let clean: [String: [String]]
        do {
            let (server, folder) = try startSampleSandbox()
            defer { server.stop() }
            let summary = Self.run(try NightlyPlacementTests().samplePipeline(reports: folder + "/reports"), server, journal: folder + "/journal.sqlite")
            #expect(summary.exitCode == .doneWithRejects)
            clean = try Self.writtenRecords(server)
        }

        let (server, folder) = try startSampleSandbox(rateLimit: Int(Self.pipelineRate / 10), tokenTTL: 3, faultSeed: 2026,
                                                      serverErrorShare: 0.20, dropShare: 0.10)
        defer { server.stop() }
        server.setShare(0.05, of: .close)
        var config = try NightlyPlacementTests().samplePipeline(reports: folder + "/reports")
        config.target.requestsPerSecond = Self.pipelineRate  // and the pipeline's own retry settings
        let journal = folder + "/journal.sqlite"

        let first = Self.run(config, server, journal: journal)
        #expect(first.exitCode == .doneWithRejects, "a degraded API is not down: \(first.abortReason ?? "")")
        var final = first
        if first.rowsToRetry > 0 {
            final = Self.run(config, server, journal: journal)
            #expect(final.exitCode == .doneWithRejects, "\(final.abortReason ?? "")")
            #expect(final.settledEarlier > 0, "the second run skips what the first settled")
        }
        #expect(final.rowsToRetry == 0, "done in two runs: \(final.rejectsByReason)")
        // Over both runs, only the file's own bad rows are rejected for good. A row whose reads
        // failed every attempt in the first run (20% 500s) is settled by the second, so the
        // account not found may be rejected in either run. The second run rejects the same rows
        // again (a rejected row is not settled: it is the file's to fix), so per reason the larger
        // of the two runs' counts, not their sum.
        var settledRejects = first.rejectsByReason.filter { !$0.key.isRetryable }
        settledRejects.merge(final.rejectsByReason.filter { !$0.key.isRetryable }) { max($0, $1) }
        #expect(Dictionary(uniqueKeysWithValues: settledRejects.map { ($0.key.rawValue, $0.value) }) == expected.rejected,
                "only the file's own bad rows: \(first.rejectsByReason), then \(final.rejectsByReason)")
        #expect(final.rejectsByReason.keys.allSatisfy { expected.rejected[$0.rawValue] != nil }, "\(final.rejectsByReason)")
        let third = Self.run(config, server, journal: journal)
        #expect(third.exitCode == .inputHeld, "the file is loaded now: \(third.abortReason ?? "")")

        let stats = server.stats
        #expect(stats.injected500 > 0 && stats.droppedBeforeHandling > 0 && stats.count(of: .close) > 0 && stats.rejected429 > 0, "\(stats)")
        #expect((stats.endpoints["login"] ?? 0) > 1, "tokens expired and were renewed")
        let admin = try TestAPI(baseURL: server.baseURL, login: false)
        try admin.configure(["http_500": 0, "drop_connection": 0, "close_after_commit": 0, "token_ttl": 900, "rate_limit": NSNull()])
        try NightlyPlacementTests.expectReadBack(expected, through: try TestAPI(baseURL: server.baseURL))
        let degraded = try Self.writtenRecords(server)
        for key in Set(clean.keys).union(degraded.keys) where clean[key] != degraded[key] {
            Issue.record("\(key): \(degraded[key] ?? []) after the degraded runs, \(clean[key] ?? []) after a clean run")
        }
    }
}
