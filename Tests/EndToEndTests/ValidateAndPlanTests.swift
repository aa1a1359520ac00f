import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// `validate` names every problem of a pipeline at once; `plan` counts the calls the run then makes.
@Suite(.serialized)
struct ValidateAndPlanTests {
    let cli = CommandLineTests()

    @Test func validateNamesATypoedKeyAndAWrongColumnWithTheirLinesAndSuggestions() throws {
        let folder = try makeTemporaryDirectory("validate")
        let pipeline = try cli.writePipeline(in: folder, target: "sandbox") {
            $0.replacingOccurrences(of: "max_in_flight:", with: "max_in_fligth:")
                .replacingOccurrences(of: "firstname: First Name", with: "firstname: Frist Name")
        }
        let outcome = try cli.run(["validate", pipeline], environment: [:], in: folder)
        #expect(outcome.status == 2)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.contains { $0.contains("pipeline.yml:") && $0.contains("max_in_fligth") && $0.contains("did you mean \"max_in_flight\"") }, "\(outcome.stderr)")
        #expect(lines.contains { $0.contains("\"Frist Name\"") && $0.contains("pipeline.yml:") && $0.contains("the closest header is \"First Name\"") }, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("2 problems"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/.scollect"), "no sandbox started, no API touched")

        let good = try cli.run(["validate", repositoryPath("Pipelines/nightly-placement-json.yml")], environment: [:], in: folder)
        #expect(good.status == 0, "\(good.stderr)")
    }

    @Test func planCountsTheCallsTheRunThenMakes() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let pipeline = try cli.writePipeline(in: folder, target: "https://scollect.invalid")
        let env = ["SCOLLECT_URL": server.baseURL, "SCOLLECT_APIKEY": SandboxConfiguration.defaultAPIKey, "SCOLLECT_PIN": SandboxConfiguration.defaultPIN]
        let plan = try cli.run(["plan", pipeline, "--quiet"], environment: env, in: folder)
        #expect(plan.status == 1, "the sample has rejects: \(plan.stderr)")
        var planned: [String: Int] = [:]
        for line in plan.stdout.split(separator: "\n") where line.hasPrefix("    ") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let count = Int(parts[1]) { planned[String(parts[0])] = count }
        }
        #expect(planned["updatedbase"] ?? 0 > 100 && planned["insertphone"] ?? 0 > 100, "\(plan.stdout)")
        #expect(server.stats.endpoints["updatedbase"] == nil && server.stats.endpoints["insertphone"] == nil, "plan sends no write")

        let run = try cli.run(["run", pipeline, "--quiet", "--summary-json", folder + "/last.json"], environment: env, in: folder)
        #expect(run.status == 1)
        let summary = try #require(JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: folder + "/last.json"))))
        #expect(summary["exit_code"]?.stringValue == "1")
        let runId = try #require(summary["run_id"]?.stringValue)

        // The plan left no run in the journal; the run did.
        let runs = try cli.run(["runs"], environment: env, in: folder)
        #expect(runs.status == 0)
        #expect(runs.stdout.contains(runId) && runs.stdout.contains("done with rejects"), "\(runs.stdout)")
        #expect(runs.stdout.split(separator: "\n").count == 3, "journal line, header, one run: \(runs.stdout)")
        let audit = try readGzipFile(folder + "/reports/latest/audit.jsonl.gz").split(separator: "\n").dropFirst()
        var made: [String: Int] = [:]
        for line in audit { if let endpoint = JSONValue.parse(Data(line.utf8))?["endpoint"]?.stringValue { made[endpoint, default: 0] += 1 } }
        #expect(planned == made, "plan \(planned) vs the run's audit \(made)")
    }
}
