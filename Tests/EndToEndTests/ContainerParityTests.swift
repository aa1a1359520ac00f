import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// The same placement content, sent as CSV, XLSX, XML or JSON, makes the same API calls and
/// the same rejects, against accounts that hold data as production's do (`liveSeed`: set
/// creditors that `keep` must leave, protected statuses, placeholders, dates and amounts in the
/// server's styles), so that the variants' inherited keep/protect/checks are exercised. (The CSV's two rows that are broken CSV have no equivalent in the other
/// containers: `Scripts/make_placement_formats.py` leaves them out, and so does the comparison.)
@Suite(.serialized)
struct ContainerParityTests {
    struct Outcome {
        /// method, endpoint, file number, masked request body, outcome — sorted (workers interleave).
        let calls: [String]
        /// account, reason, field, kind — sorted.
        let rejects: [String]
        let summary: RunSummary
    }

    static func load(_ pipeline: String) throws -> Outcome {
        var config = try PipelineLoader.load(path: repositoryPath("Pipelines/\(pipeline).yml"))
        let (server, folder) = try startSampleSandbox(seed: liveSeed)
        defer { server.stop() }
        config.reportsFolder = folder + "/reports"
        config.target.requestsPerSecond = 2000
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "parity sandbox", journalPath: folder + "/journal.sqlite")
        let summary = PipelineRunner(config: config, target: target).run()

        let audit = try readGzipFile(summary.reportFolder + "/audit.jsonl.gz").split(separator: "\n").dropFirst()
        let calls = try audit.map { line -> String in
            let entry = try #require(JSONValue.parse(Data(line.utf8)))
            return ["method", "endpoint", "filenumber", "request", "outcome"].map { entry[$0]?.serialized ?? "-" }.joined(separator: " ")
        }.sorted()
        let accountColumn = config.mapping.first { $0.field == "filenumber" }!.column
        let rejects = try readCSVRecords(summary.reportFolder + "/rejects.csv.gz")
            .filter { $0["_reject_reason"] != "MALFORMED_ROW" }
            .map { [($0[accountColumn] ?? "").trimmingCharacters(in: .whitespaces).uppercased(), $0["_reject_reason"]!, $0["_reject_field"]!, $0["_reject_kind"]!].joined(separator: " ") }
            .sorted()
        return Outcome(calls: calls, rejects: rejects, summary: summary)
    }

    @Test(arguments: ["nightly-placement-xlsx", "nightly-placement-xml", "nightly-placement-json"])
    func sameContentSameCallsSameRejects(pipeline: String) throws {
        let csv = try Self.load("nightly-placement")
        let other = try Self.load(pipeline)
        // The live accounts make the keep, protect and checks sections matter.
        #expect((csv.summary.rejectsByReason[.accountProtected] ?? 0) > 0)
        #expect(csv.calls.contains { $0.contains("updatedbase") })
        #expect(csv.summary.rowsRead - (csv.summary.rejectsByReason[.malformedRow] ?? 0) == other.summary.rowsRead)
        #expect(other.summary.written == csv.summary.written)
        #expect(other.calls.count == csv.calls.count)
        for (a, b) in zip(csv.calls, other.calls) where a != b {
            Issue.record("first differing call:\n csv:   \(a)\n \(pipeline): \(b)")
            break
        }
        #expect(other.rejects == csv.rejects)
    }
}
