import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// A nightly load against an API that answers 500s, drops connections before and after acting,
/// loses no row and writes nothing twice.
@Suite(.serialized)
struct FlakyAPITests {
    @Test func thePlacementLoadsTheSameThroughAFlakyAPI() throws {
        let expected = try NightlyPlacementTests.Expected()
        let (server, folder) = try startSampleSandbox(dropAfterCommit: 0.05, faultSeed: 11, serverErrorShare: 0.08, dropShare: 0.04)
        defer { server.stop() }
        var config = try NightlyPlacementTests().samplePipeline(reports: folder + "/reports")
        config.target.retry = RetryPolicy(maxAttempts: 8, baseDelay: 0.005, maxDelay: 0.05)
        let summary = NightlyPlacementTests().run(config, against: server)

        let stats = server.stats
        #expect(stats.injected500 > 20 && stats.droppedBeforeHandling > 10 && stats.droppedAfterCommit > 5, "\(stats)")
        #expect(summary.exitCode == .doneWithRejects, "\(summary.abortReason ?? "")")
        #expect(Dictionary(uniqueKeysWithValues: summary.rejectsByReason.map { ($0.key.rawValue, $0.value) }) == expected.rejected,
                "only the file's own bad rows are rejected: \(summary.rejectsByReason)")
        #expect(summary.written == expected.afterLoad.count)
        #expect(summary.callsFailed > 0)

        // Read back through a healthy API.
        let admin = try TestAPI(baseURL: server.baseURL, apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN, login: false)
        try admin.configure(["http_500": 0, "drop_connection": 0, "drop_after_commit": 0])
        let api = try TestAPI(baseURL: server.baseURL)
        for (filenumber, fields) in expected.afterLoad {
            let account = try api.account(filenumber)
            for (field, value) in fields where field != "new_phones" {
                #expect(account[field] == value as? String, "\(filenumber).\(field)")
            }
            let phones = try api.phones(filenumber)
            for phone in fields["new_phones"] as? [String] ?? [] {
                #expect(phones.filter { $0 == phone }.count == 1, "\(filenumber) has \(phone) once: \(phones)")
            }
        }
    }
}
