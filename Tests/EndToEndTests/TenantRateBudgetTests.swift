import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Three `scollect-etl run` processes of one tenant (three pipeline files, one journal), started
/// at once against one sandbox with `tenant_requests_per_second: 20`, each allowed 60 on its
/// own: the sandbox's own arrival counter never sees more than 21 in a sliding second, and
/// while all three are busy each gets its equal share.
@Suite(.serialized)
struct TenantRateBudgetTests {
    static let tenantRate = 20

    /// `Pipelines/nightly-placement.yml` renamed, reading rows `rows` of the sample placement,
    /// at 60 calls a second of its own but `tenant_requests_per_second: 20`.
    static func pipeline(named name: String, rows: Range<Int>, in folder: String) throws -> String {
        let lines = try String(contentsOfFile: repositoryPath("SampleData/placement.csv"), encoding: .utf8).components(separatedBy: "\r\n")
        let input = folder + "/\(name).csv"
        let data = lines.dropFirst().filter { !$0.isEmpty }
        try ([lines[0]] + data[rows] + [""])
            .joined(separator: "\r\n").write(toFile: input, atomically: true, encoding: .utf8)
        let text = try String(contentsOfFile: repositoryPath("Pipelines/nightly-placement.yml"), encoding: .utf8)
            .replacingOccurrences(of: "name: nightly-placement", with: "name: \(name)")
            .replacingOccurrences(of: "file: ../SampleData/placement.csv", with: "file: \(input)")
            .replacingOccurrences(of: "../SampleData/", with: repositoryPath("SampleData") + "/")
            .replacingOccurrences(of: "folder: ../reports/nightly-placement", with: "folder: \(folder)/reports-\(name)")
            .replacingOccurrences(of: "requests_per_second: 200", with: "requests_per_second: 60\n  tenant_requests_per_second: \(tenantRate)")
        #expect(text.contains("tenant_requests_per_second: \(tenantRate)"))
        let path = folder + "/\(name).yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func threeProcessesOfOneTenantKeepItsRateAndShareItEvenly() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let journal = folder + "/journal.sqlite"
        let names = ["placement-east", "placement-west", "placement-north"]
        let pipelines = try names.enumerated().map { index, name in
            try Self.pipeline(named: name, rows: (index * 30)..<(index * 30 + 30), in: folder)
        }
        let runs = try pipelines.map { try SharedJournalTests.start($0, url: server.baseURL, journal: journal, stateFolder: folder) }
        for run in runs { run.waitUntilExit() }
        #expect(runs.allSatisfy { [0, 1].contains($0.terminationStatus) }, "\(runs.map(\.terminationStatus))")

        let stats = server.stats
        #expect(stats.maxArrivalsInAnySecond <= Self.tenantRate + 1, "\(stats.maxArrivalsInAnySecond) arrivals in one second")
        #expect(stats.rejected429 == 0)
        // Each process logged in once: its calls carry its own token (`GET /_sandbox/arrivals`).
        guard case let .object(byCaller)? = try TestAPI(baseURL: server.baseURL, login: false).get("/_sandbox/arrivals")["callers"] else {
            Issue.record("no arrivals by caller")
            return
        }
        let callers = byCaller.filter { $0.0 != "anonymous" }.map { $0.1.arrayValue?.compactMap { $0.stringValue.flatMap(Double.init) }.sorted() ?? [] }
        #expect(callers.count == 3, "\(stats.arrivalsByCaller.mapValues(\.count))")
        #expect(callers.map(\.count).sorted() == stats.arrivalsByCaller.filter { $0.key != "anonymous" }.values.map(\.count).sorted())
        guard callers.count == 3 else { return }
        // The ten seconds after all three had started (and before the first finished).
        let from = callers.map { $0.first! }.max()! + 1
        let until = callers.map { $0.last! }.min()!
        #expect(until - from >= 10, "all three busy for \(until - from) s only")
        let shares = callers.map { times in times.filter { $0 >= from && $0 < from + 10 }.count }
        let equal = Double(shares.reduce(0, +)) / 3
        #expect(shares.allSatisfy { abs(Double($0) - equal) <= 0.1 * equal }, "shares over 10 s: \(shares)")
        #expect(equal * 3 >= Double(Self.tenantRate) * 10 * 0.9, "the tenant's rate was used: \(shares)")
        print("tenant budget: \(stats.arrivals) arrivals, busiest sliding second \(stats.maxArrivalsInAnySecond), shares over 10 s \(shares)")
        // Every process deregistered when it ended.
        #expect(try JournalRateBudget(store: try SQLiteJournalStore(path: journal)).snapshot(tenant: TenantJournal.tenantID(apikey: SandboxConfiguration.defaultAPIKey)).clients.isEmpty)
    }
}
