import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// The nightly placement and the bulk payments, each against a sandbox with every fault on at
/// once: 20% HTTP 500s, 10% dropped connections, 5% drop-after-commit, a rate limit below the
/// pipeline's pace, and tokens that expire every 3 seconds. Every row ends written exactly once
/// or rejected for its own reason; no second is over the pace; no artifact holds a secret.
@Suite(.serialized)
struct AllFaultsTests {
    static let pipelineRate = 120.0
    static let serverLimit = 90

    static func startHostileSandbox() throws -> (SandboxServer, String) {
        try startSampleSandbox(rateLimit: serverLimit, tokenTTL: 3, dropAfterCommit: 0.05, faultSeed: 2026,
                               serverErrorShare: 0.20, dropShare: 0.10)
    }

    static func configure(_ config: inout PipelineConfig, reports: String) {
        config.reportsFolder = reports
        config.target.requestsPerSecond = pipelineRate
        config.target.retry = RetryPolicy(maxAttempts: 16, baseDelay: 0.01, maxDelay: 0.2)
    }

    static func run(_ config: PipelineConfig, _ server: SandboxServer, journal: String) -> RunSummary {
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "hostile sandbox", journalPath: journal)
        return PipelineRunner(config: config, target: target).run()
    }

    /// The pace the client kept, and the faults the server really dealt.
    static func expectFaultsDealtAndPaceKept(_ server: SandboxServer) {
        let stats = server.stats
        #expect(stats.injected500 > 0 && stats.droppedBeforeHandling > 0 && stats.droppedAfterCommit > 0, "\(stats)")
        #expect(stats.maxInAnySecond <= serverLimit)
        #expect(Double(stats.maxArrivalsInAnySecond) <= pipelineRate, "no second holds more requests than the pipeline's rate: \(stats.maxArrivalsInAnySecond)")
        #expect((stats.endpoints["login"] ?? 0) > 1, "tokens expired and were renewed")
    }

    /// Reports, journal and summary of a run: no apikey, pin, JWT, card number or CVV; SSNs in
    /// full only in the rejects report.
    static func expectNoSecrets(reports folder: String, journal: String?, cards: [String] = [], ssns: [String] = []) throws {
        var artifacts = [("audit", try readGzipFile(folder + "/audit.jsonl.gz")),
                         ("summary", try String(contentsOfFile: folder + "/summary.json", encoding: .utf8))]
        let rejects = try readGzipFile(folder + "/rejects.csv.gz")
        if let journal { artifacts.append(("journal", String(decoding: try Data(contentsOf: URL(fileURLWithPath: journal)), as: UTF8.self))) }
        for (name, text) in artifacts + [("rejects", rejects)] {
            for secret in [SandboxConfiguration.defaultAPIKey, "\"pin\":\"\(SandboxConfiguration.defaultPIN)\"", "eyJ", "Bearer "] + cards {
                #expect(!text.contains(secret), "\(name) holds a secret")
            }
            #expect(text.firstMatch(of: /threedigitnumber\\?"\s*:\s*\\?"\d/) == nil, "\(name) holds a CVV")
        }
        for (name, text) in artifacts {
            for ssn in ssns { #expect(!text.contains(ssn), "\(name) holds a full SSN") }
        }
    }

    @Test func theNightlyPlacementThroughEveryFault() throws {
        let expected = try NightlyPlacementTests.Expected()
        let (server, folder) = try Self.startHostileSandbox()
        defer { server.stop() }
        var config = try NightlyPlacementTests().samplePipeline(reports: folder + "/reports")
        Self.configure(&config, reports: folder + "/reports")
        let summary = Self.run(config, server, journal: folder + "/journal.sqlite")

        #expect(summary.exitCode == .doneWithRejects, "\(summary.abortReason ?? "")")
        #expect(summary.written + summary.unchanged + summary.rejected == summary.rowsRead)
        #expect(Dictionary(uniqueKeysWithValues: summary.rejectsByReason.map { ($0.key.rawValue, $0.value) }) == expected.rejected,
                "only the file's own bad rows: \(summary.rejectsByReason)")
        #expect(summary.written == expected.afterLoad.count)
        Self.expectFaultsDealtAndPaceKept(server)

        let admin = try TestAPI(baseURL: server.baseURL, login: false)
        try admin.configure(["http_500": 0, "drop_connection": 0, "drop_after_commit": 0, "token_ttl": 900, "rate_limit": NSNull()])
        let api = try TestAPI(baseURL: server.baseURL)
        try NightlyPlacementTests.expectReadBack(expected, through: api)
        let ssns = try readCSVRecords(repositoryPath("SampleData/placement.csv")).compactMap { $0["SSN"] }.filter { $0.count == 11 }
        try Self.expectNoSecrets(reports: summary.reportFolder, journal: nil, ssns: ssns)
    }

    @Test func theBulkPaymentsThroughEveryFault() throws {
        let expected = try PaymentImportTests.Expected("payments")
        let (server, folder) = try Self.startHostileSandbox()
        defer { server.stop() }
        let admin = try TestAPI(baseURL: server.baseURL, login: false)
        try admin.configure(["http_500": 0, "drop_connection": 0, "drop_after_commit": 0, "token_ttl": 900, "rate_limit": NSNull()])
        let before = try PaymentImportTests.serverPayments(try TestAPI(baseURL: server.baseURL), expected.booked.keys)
        try admin.configure(["http_500": 0.2, "drop_connection": 0.1, "drop_after_commit": 0.05, "token_ttl": 3, "rate_limit": Self.serverLimit])
        try admin.resetStats()

        var config = try PaymentImportTests.pipeline("bulk-payments", reports: folder + "/reports")
        Self.configure(&config, reports: folder + "/reports")
        let journal = folder + "/journal.sqlite"
        let summary = Self.run(config, server, journal: journal)

        #expect(summary.exitCode == .doneWithRejects, "\(summary.abortReason ?? "")")
        #expect(summary.written == expected.bookedCount)
        #expect(summary.rejected == expected.rejectedRows.count, "\(summary.rejectsByReason)")
        Self.expectFaultsDealtAndPaceKept(server)

        try admin.configure(["http_500": 0, "drop_connection": 0, "drop_after_commit": 0, "token_ttl": 900, "rate_limit": NSNull()])
        PaymentImportTests.expectBookedOnce(expected, before: before,
                                            after: try PaymentImportTests.serverPayments(try TestAPI(baseURL: server.baseURL), expected.booked.keys))
        try Self.expectNoSecrets(reports: summary.reportFolder, journal: journal,
                                 cards: try PaymentImportTests.cardNumbers(in: "SampleData/payments.csv", column: "Card Number"))
    }
}
