import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// The sample nightly placement, loaded over real HTTP into a real sandbox, then read back.
@Suite(.serialized)
struct NightlyPlacementTests {
    struct Expected {
        let rows: Int
        let rejected: [String: Int]
        let rejectedRows: [(row: Int, reason: String)]
        let warnings: [String: Int]
        let unchangedAccounts: [String]
        let afterLoad: [String: [String: Any]]

        init() throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: repositoryPath("SampleData/placement.expected.json")))
            let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            rows = json["rows"] as! Int
            rejected = json["rejected"] as! [String: Int]
            rejectedRows = (json["rejected_rows"] as! [[String: Any]]).map { ($0["row"] as! Int, $0["reason"] as! String) }
            warnings = json["warnings"] as! [String: Int]
            unchangedAccounts = json["unchanged_rows"] as! [String]
            afterLoad = json["expected_after_load"] as! [String: [String: Any]]
        }
    }

    func samplePipeline(reports: String) throws -> PipelineConfig {
        var config = try PipelineLoader.load(path: repositoryPath("Pipelines/nightly-placement.yml"))
        config.reportsFolder = reports
        config.target.requestsPerSecond = 2000
        return config
    }

    func run(_ config: PipelineConfig, against server: SandboxServer, pin: String = SandboxConfiguration.defaultPIN) -> RunSummary {
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: pin),
                               description: "test sandbox \(server.baseURL)")
        return PipelineRunner(config: config, target: target).run()
    }

    /// Every expected value reads back through getaccount, in the documented formats, and each
    /// new phone is on the account exactly once.
    static func expectReadBack(_ expected: Expected, through api: TestAPI) throws {
        for (filenumber, fields) in expected.afterLoad {
            let account = try api.account(filenumber)
            for (field, value) in fields where field != "new_phones" {
                #expect(account[field] == value as? String, "\(filenumber).\(field)")
            }
            let phones = try api.phones(filenumber)
            for phone in fields["new_phones"] as? [String] ?? [] {
                #expect(phones.filter { $0 == phone }.count == 1, "\(filenumber) should have phone \(phone) once, has \(phones)")
            }
            for phone in phones { #expect(phone.wholeMatch(of: /\d{3}-\d{3}-\d{4}/) != nil, "\(filenumber) phone \(phone)") }
            #expect(account["socialsecuritynumber"]?.wholeMatch(of: /\d{3}-\d{2}-\d{4}/) != nil)
        }
    }

    @Test func samplePlacementLoadsAndReadsBack() throws {
        let expected = try Expected()
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let summary = run(try samplePipeline(reports: folder + "/reports"), against: server)

        // Every row is counted exactly once.
        #expect(summary.rowsRead == expected.rows)
        #expect(summary.written + summary.unchanged + summary.rejected == summary.rowsRead)
        #expect(Dictionary(uniqueKeysWithValues: summary.rejectsByReason.map { ($0.key.rawValue, $0.value) }) == expected.rejected)
        #expect(Dictionary(uniqueKeysWithValues: summary.warningsByReason.map { ($0.key.rawValue, $0.value) }) == expected.warnings)
        #expect(summary.unchanged == expected.unchangedAccounts.count)
        #expect(summary.written == expected.afterLoad.count)
        #expect(summary.exitCode == .doneWithRejects)

        // What was written reads back in the documented formats.
        let api = try TestAPI(baseURL: server.baseURL)
        try Self.expectReadBack(expected, through: api)
        #expect(try api.account("R9999").isEmpty, "a load never creates accounts")

        // The rejects report names each bad row with its reason.
        let rejects = try readGzipFile(summary.reportFolder + "/rejects.csv.gz")
        let rejectLines = rejects.split(separator: "\r\n").dropFirst()
        #expect(rejectLines.filter { $0.contains(",reject,") }.count == summary.rejected)
        for (row, reason) in expected.rejectedRows {
            #expect(rejectLines.contains { $0.hasPrefix("\(row),") && $0.contains(",reject,\(reason),") }, "row \(row) \(reason)")
        }

        // The audit report has its header and one line per call, and no secrets.
        let audit = try readGzipFile(summary.reportFolder + "/audit.jsonl.gz")
        let auditLines = audit.split(separator: "\n")
        #expect(auditLines.first?.contains("\"type\":\"header\"") == true)
        #expect(auditLines.first?.contains("\"input_sha256\":\"") == true)
        #expect(auditLines.count - 1 == summary.callsMade)
        for secret in [SandboxConfiguration.defaultAPIKey, "\"pin\":\"\(SandboxConfiguration.defaultPIN)\"", "eyJ", "Bearer"] {
            #expect(!audit.contains(secret), "audit contains \(secret)")
            #expect(!rejects.contains(secret), "rejects contain \(secret)")
        }
        #expect(audit.firstMatch(of: /\d{3}-\d{2}-\d{4}/) == nil, "audit shows SSNs as last 4 only")
        for file in ["rejects.csv.gz", "audit.jsonl.gz", "summary.json"] {
            #expect(fileMode(summary.reportFolder + "/" + file) == 0o600, "\(file) mode")
        }
    }

    @Test func secondRunOfTheSameFileWritesNothing() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let config = try samplePipeline(reports: folder + "/reports")
        let first = run(config, against: server)
        let second = run(config, against: server)
        #expect(first.written > 0)
        #expect(second.written == 0)
        #expect(second.unchanged == first.written + first.unchanged)
        #expect(second.rejected == first.rejected)
        #expect(second.callsByEndpoint["updatedbase"] == nil)
        #expect(second.callsByEndpoint["insertphone"] == nil)
    }

    @Test func refusedCredentialsStopBeforeAnyRow() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let summary = run(try samplePipeline(reports: folder + "/reports"), against: server, pin: "WRONG")
        #expect(summary.exitCode == .credentialsRefused)
        #expect(summary.rowsRead == 0)
        #expect(summary.callsByEndpoint == ["login": 1])
    }
}
