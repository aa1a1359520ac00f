import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Every shape of "the server committed the write, then gave no answer that proves it" — the
/// connection closed without a byte (libcurl's silent re-send on a kept-alive connection), half
/// an answer, a 502, `"state": "TIMEOUT"`, an empty 200 — at a high share: each valid row is
/// booked exactly once, the same command again is refused, and `--force` books nothing more.
@Suite(.serialized)
struct AfterCommitFaultTests {
    @Test(arguments: AfterCommitFault.allCases)
    func paymentsAreBookedExactlyOncePerRow(under fault: AfterCommitFault) throws {
        let expected = try PaymentImportTests.Expected("payments")
        let (server, folder) = try startSampleSandbox(faultSeed: 7)
        defer { server.stop() }
        let api = try TestAPI(baseURL: server.baseURL)
        let before = try PaymentImportTests.serverPayments(api, expected.booked.keys)
        let config = try PaymentImportTests.pipeline("bulk-payments", reports: folder + "/reports")
        let journal = folder + "/journal.sqlite"

        server.setShare(0.3, of: fault)
        let first = PaymentImportTests.run(config, against: server, journal: journal)
        let again = PaymentImportTests.run(config, against: server, journal: journal)
        let forced = PaymentImportTests.run(config, against: server, journal: journal, force: true)
        server.setShare(0, of: fault)

        #expect([.done, .doneWithRejects].contains(first.exitCode), "\(first.abortReason ?? "")")
        #expect(first.written == expected.bookedCount, "\(fault): \(first.rejectsByReason)")
        #expect(again.exitCode == .inputHeld, "the same file again is refused")
        #expect(forced.callsByEndpoint["insert_payments_external"] == nil, "a forced run finds every payment in the journal")
        let audit = try readGzipFile(first.reportFolder + "/audit.jsonl.gz")
        #expect(audit.contains("insert_payments_external") && (audit.contains("transport_error") || audit.contains("http_error")
                || audit.contains("timeout_state") || audit.contains("unreadable")), "the fault hit some payments")
        PaymentImportTests.expectBookedOnce(expected, before: before, after: try PaymentImportTests.serverPayments(api, expected.booked.keys))
    }

    /// The nightly placement's new phones under the same faults: each phone is on its account once.
    @Test(arguments: [AfterCommitFault.close, .timeout, .empty])
    func newPhonesAreInsertedOnce(under fault: AfterCommitFault) throws {
        let (server, folder) = try startSampleSandbox(faultSeed: 11)
        defer { server.stop() }
        var config = try NightlyPlacementTests().samplePipeline(reports: folder + "/reports")
        config.target.requestsPerSecond = 2000
        server.setShare(0.3, of: fault)
        let summary = PaymentImportTests.run(config, against: server, journal: folder + "/journal.sqlite")
        server.setShare(0, of: fault)
        #expect([.done, .doneWithRejects].contains(summary.exitCode), "\(summary.abortReason ?? "")")
        let api = try TestAPI(baseURL: server.baseURL)
        let accounts = Set(try readCSVRecords(repositoryPath("SampleData/placement.csv")).compactMap { $0["Account Number"] ?? $0["Account"] })
        #expect(!accounts.isEmpty)
        var checked = 0
        for account in accounts {
            let phones = try api.phones(account).map { $0.filter(\.isNumber) }
            #expect(Set(phones).count == phones.count, "\(account) holds a phone twice: \(phones.sorted())")
            checked += phones.count
        }
        #expect(checked > 0)
    }
}
