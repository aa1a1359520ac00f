import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// What an operations team relies on, through the executable: machine-readable logs without
/// secrets, the state directory's rules, the version in the reports, an exit 0 for a night with
/// rejects when asked.
@Suite(.serialized)
struct OperationsContractTests {
    let cli = CommandLineTests()

    func json(_ path: String) throws -> JSONValue {
        try #require(JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// A server whose failures quote a card number, the apikey, a password, the PIN and a JWT
    /// (a hostile or careless server's HTTP 500 page): with every request logged at trace level,
    /// no log line holds any of them, and every line is a JSON object with the run's id.
    @Test func jsonLogLinesParseCarryTheRunIdAndNoSecret() throws {
        let folder = try makeTemporaryDirectory("logs")
        let apikey = "live-apikey-\(UUID().uuidString.prefix(8))"
        let card = "4111 1111 1111 1111"
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VuY3kifQ.c2lnbmF0dXJl"
        var configuration = SandboxConfiguration(databasePath: folder + "/server.sqlite", port: 0,
                                                 seedFiles: [repositoryPath("SampleData/sandbox-accounts.json")])
        configuration.apikey = apikey
        configuration.pin = "7Q7"
        configuration.serverErrorShare = 0.3
        configuration.faultSeed = 11
        configuration.serverErrorMessage = "backend failed for card \(card) (apikey=\(apikey), password: hunter2hunter, pin=7Q7, Authorization: Bearer \(jwt))"
        let server = try SandboxServer.start(configuration)
        defer { server.stop() }
        let pipeline = try cli.writePipeline(in: folder, target: "https://scollect.invalid")
        let outcome = try cli.run(["run", pipeline, "--log-format", "json", "--log-level", "trace", "--summary-json", folder + "/last.json"],
                                  environment: ["SCOLLECT_URL": server.baseURL, "SCOLLECT_APIKEY": apikey, "SCOLLECT_PIN": "7Q7"], in: folder)
        #expect([1, 6].contains(outcome.status), "\(outcome.stderr)")
        let summary = try json(folder + "/last.json")
        let runId = try #require(summary["run_id"]?.stringValue)

        let lines = outcome.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count > 10)
        var runLines = 0, failedRequests = 0
        for line in lines {
            guard let object = JSONValue.parse(Data(line.utf8)), object.objectValue != nil else {
                Issue.record("not a JSON object: \(line)")
                continue
            }
            #expect(object["level"]?.stringValue != nil && object["message"]?.stringValue != nil && object["time"]?.stringValue != nil)
            #expect(object.objectValue?.contains { $0.0 == "run_id" } == true, "every line has run_id: \(line)")
            if object["run_id"]?.stringValue == runId {
                runLines += 1
                #expect(object["pipeline"]?.stringValue == "nightly-placement" && object["target"]?.stringValue != nil
                        && object["input"]?.stringValue?.hasSuffix("placement.csv") == true, "\(line)")
            }
            if object["message"]?.stringValue?.contains("→ 500") == true { failedRequests += 1 }
        }
        #expect(runLines > 5, "the run's lines carry its id")
        #expect(failedRequests > 0, "the hostile answers were logged (so their redaction is tested)")
        for secret in [apikey, card, card.replacingOccurrences(of: " ", with: ""), "hunter2hunter", "7Q7", jwt, "eyJhbGciOiJIUzI1NiJ9"] {
            #expect(!outcome.stderr.contains(secret), "\(secret) reached a log line")
            #expect(!outcome.stdout.contains(secret), "\(secret) reached stdout")
        }
        #expect(!outcome.stderr.contains("progress:"), "no progress line in JSON")
        #expect(outcome.stdout.contains("exit code"), "the end-of-run table on stdout")
    }

    @Test func rejectsExitZeroAndTheVersionInTheReports() throws {
        let folder = try makeTemporaryDirectory("rejects-zero")
        let version = try cli.run(["--version"], environment: [:], in: folder).stdout.trimmingCharacters(in: .newlines)
        let pipeline = try cli.writePipeline(in: folder, target: "sandbox")
        let outcome = try cli.run(["run", pipeline, "--quiet", "--rejects-exit-zero"], environment: [:], in: folder)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let summary = try json(folder + "/reports/latest/summary.json")
        #expect(summary["exit_code"]?.stringValue == "1" && (Int(summary["rejected"]?.stringValue ?? "") ?? 0) > 0, "the summary still says rejects")
        #expect(outcome.stdout.contains("rejected"))
        #expect(summary["version"]?.stringValue == version)
        let header = try #require(readGzipFile(folder + "/reports/latest/audit.jsonl.gz").split(separator: "\n").first)
        #expect(JSONValue.parse(Data(header.utf8))?["version"]?.stringValue == version)
        // Without the flag the same night exits 1.
        let plain = try cli.run(["run", pipeline, "--quiet", "--force"], environment: [:], in: folder)
        #expect(plain.status == 1)
    }

    @Test func stateGoesWhereTheRulesSayAndReportsStayWithThePipeline() throws {
        let folder = try makeTemporaryDirectory("state")
        let pipeline = try cli.writePipeline(in: folder, target: "sandbox")
        let manager = FileManager.default
        func stateFiles(_ state: String) -> Bool {
            manager.fileExists(atPath: state + "/sandbox.sqlite")
                && ((try? manager.contentsOfDirectory(atPath: state + "/journals")) ?? []).contains { $0.hasPrefix("sandbox-") && $0.hasSuffix(".sqlite") }
                && ((try? manager.contentsOfDirectory(atPath: state + "/locks")) ?? []).contains { $0.hasSuffix(".lock") }
        }
        // XDG_STATE_HOME when SCOLLECT_STATE_DIR is not set.
        let work = folder + "/work"
        try manager.createDirectory(atPath: work, withIntermediateDirectories: true)
        let xdg = folder + "/xdg"
        let home = folder + "/home"
        let first = try cli.run(["run", pipeline, "--quiet"], environment: ["SCOLLECT_STATE_DIR": "", "XDG_STATE_HOME": xdg, "HOME": home], in: work)
        #expect(first.status == 1, "\(first.stderr)")
        #expect(stateFiles(xdg + "/scollect-etl"))
        #expect(fileMode(xdg + "/scollect-etl") == 0o700)
        #expect(!manager.fileExists(atPath: work + "/.scollect") && !manager.fileExists(atPath: home))
        #expect(manager.fileExists(atPath: folder + "/reports/latest/summary.json"), "reports where the pipeline says")

        // Else ~/.local/state/scollect-etl.
        let second = try cli.run(["run", pipeline, "--quiet", "--force"], environment: ["SCOLLECT_STATE_DIR": "", "XDG_STATE_HOME": "", "HOME": home], in: work)
        #expect(second.status == 1, "\(second.stderr)")
        #expect(stateFiles(home + "/.local/state/scollect-etl"))

        // SCOLLECT_STATE_DIR wins.
        let chosen = folder + "/chosen"
        let third = try cli.run(["run", pipeline, "--quiet", "--force"], environment: ["SCOLLECT_STATE_DIR": chosen, "XDG_STATE_HOME": xdg], in: work)
        #expect(third.status == 1)
        #expect(stateFiles(chosen))

        // A .scollect/ of the working directory (0.1.0's place) is still found, and a notice says where state lives now.
        let old = folder + "/old"
        try manager.createDirectory(atPath: old + "/.scollect", withIntermediateDirectories: true)
        let legacy = try cli.run(["run", pipeline, "--force"], environment: ["SCOLLECT_STATE_DIR": "", "XDG_STATE_HOME": xdg], in: old)
        #expect(legacy.status == 1, "\(legacy.stderr)")
        #expect(stateFiles(old + "/.scollect"))
        #expect(legacy.stderr.contains("notice: state") && legacy.stderr.contains(xdg + "/scollect-etl"), "\(legacy.stderr)")
        // `runs` finds that journal too.
        let runs = try cli.run(["runs"], environment: ["SCOLLECT_STATE_DIR": "", "XDG_STATE_HOME": xdg], in: old)
        #expect(runs.status == 0 && runs.stdout.contains(old + "/.scollect/journals/"), "\(runs.stdout)")
    }

    /// The README's `guess -o Pipelines/new.yml`: the draft's reports go to ../reports/…, never
    /// Pipelines/reports/ (which held full SSNs beside files under version control).
    @Test func aDraftInPipelinesWritesItsReportsBesideTheOthers() throws {
        let root = try makeTemporaryDirectory("guess-root")
        try FileManager.default.createDirectory(atPath: root + "/Pipelines", withIntermediateDirectories: true)
        let guessed = try cli.run(["guess", repositoryPath("SampleData/placement.csv"), "-o", "Pipelines/new.yml", "--requests-per-second", "1000"],
                                  environment: [:], in: root)
        #expect(guessed.status == 0, "\(guessed.stderr)")
        let text = try String(contentsOfFile: root + "/Pipelines/new.yml", encoding: .utf8)
        #expect(text.contains("folder: ../reports/placement"), "\(text)")
        let plan = try cli.run(["plan", "Pipelines/new.yml", "--quiet"], environment: [:], in: root)
        #expect([0, 1].contains(plan.status), "\(plan.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/Pipelines/reports"))
        #expect(FileManager.default.fileExists(atPath: root + "/reports/placement"))
    }

    /// `preview PIPELINE`: a rejected row keeps its values (its file number first), and warnings
    /// are not rejects.
    @Test func previewKeepsARejectedRowsValuesAndSeparatesWarnings() throws {
        let folder = try makeTemporaryDirectory("preview")
        let outcome = try cli.run(["preview", repositoryPath("Pipelines/nightly-placement.yml"), "--rows", "0", "--format", "jsonl"], environment: [:], in: folder)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = outcome.stdout.split(separator: "\n").compactMap { JSONValue.parse(Data($0.utf8)) }
        let rejected = lines.filter { $0["reject"]?.stringValue?.hasPrefix("INVALID") == true }
        #expect(!rejected.isEmpty)
        for line in rejected {
            #expect(line["fields"]?["filenumber"]?.stringValue?.isEmpty == false, "a rejected row keeps its file number: \(line.serialized)")
            #expect((line["fields"]?.objectValue ?? []).filter { !($0.1.stringValue ?? "").isEmpty }.count > 3, "and its other values: \(line.serialized)")
        }
        #expect(lines.allSatisfy { $0["warnings"]?.arrayValue != nil }, "warnings are a list of their own")
        #expect(!lines.contains { $0["reject"]?.stringValue?.hasPrefix("warning") == true }, "no warning under reject")
    }

    /// `latest` is the last run that loaded: a plan or a held file does not move it; a run whose
    /// credentials are refused leaves no empty acknowledgement.
    @Test func planAndHeldRunsLeaveLatestAndRefusedCredentialsLeaveNoAcknowledgement() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let env = ["SCOLLECT_URL": server.baseURL, "SCOLLECT_APIKEY": SandboxConfiguration.defaultAPIKey, "SCOLLECT_PIN": SandboxConfiguration.defaultPIN,
                   "SCOLLECT_JOURNAL": folder + "/journal.sqlite"]
        let pipeline = try cli.writePipeline(in: folder, target: "https://scollect.invalid") // with its acknowledgement: section
        let run = try cli.run(["run", pipeline, "--quiet", "--summary-json", folder + "/run.json"], environment: env, in: folder)
        #expect(run.status == 1, "\(run.stderr)")
        let runId = try #require(try json(folder + "/run.json")["run_id"]?.stringValue)
        let latest = { try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/reports/latest") }
        #expect(try latest() == runId)

        #expect(try cli.run(["plan", pipeline, "--quiet"], environment: env, in: folder).status == 1)
        #expect(try latest() == runId, "a plan does not move latest")
        let held = try cli.run(["run", pipeline, "--quiet"], environment: env, in: folder)
        #expect(held.status == 4, "loaded before: \(held.stderr)")
        #expect(try latest() == runId, "a held file does not move latest")

        var refusedEnv = env
        refusedEnv["SCOLLECT_APIKEY"] = "wrong-key"
        refusedEnv["SCOLLECT_JOURNAL"] = folder + "/other-journal.sqlite"
        let refused = try cli.run(["run", pipeline, "--quiet", "--summary-json", folder + "/refused.json"], environment: refusedEnv, in: folder)
        #expect(refused.status == 3, "\(refused.stderr)")
        let refusedSummary = try json(folder + "/refused.json")
        #expect(refusedSummary["acknowledgement"]?.stringValue == nil)
        let refusedFolder = try #require(refusedSummary["report_folder"]?.stringValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: refusedFolder)
        #expect(!files.contains { $0.hasPrefix("acknowledgement") }, "\(files)")
    }

    /// Every run has its report.html, an export run too (README, `run --help`).
    @Test func anExportRunWritesItsHTMLReport() throws {
        let folder = try makeTemporaryDirectory("export-report")
        var text = try String(contentsOfFile: repositoryPath("Pipelines/portfolio-export-csv.yml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "file: ../exports/", with: "file: \(folder)/exports/")
            .replacingOccurrences(of: "folder: ../reports/", with: "folder: \(folder)/reports/")
        try text.write(toFile: folder + "/export.yml", atomically: true, encoding: .utf8)
        let outcome = try cli.run(["run", folder + "/export.yml", "--quiet", "--summary-json", folder + "/last.json"], environment: [:], in: folder)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let reportFolder = try #require(try json(folder + "/last.json")["report_folder"]?.stringValue)
        let html = try String(contentsOfFile: reportFolder + "/report.html", encoding: .utf8)
        #expect(html.contains("get_accounts_in_portfolio"), "the page shows the export's requests")
        #expect(fileMode(reportFolder + "/report.html") == 0o600)
    }

    /// `validate` lists a problem in target, in reports and in on_failure in one pass (it used
    /// to stop at the first section with a wrong value).
    @Test func validateListsTheProblemsOfEverySectionAtOnce() throws {
        let folder = try makeTemporaryDirectory("validate-all")
        let pipeline = try cli.writePipeline(in: folder, target: "sandbox") {
            $0.replacingOccurrences(of: "requests_per_second: 2000", with: "requests_per_second: fast")
                .replacingOccurrences(of: "folder: \(folder)/reports", with: "folder: [\(folder)/reports, elsewhere]")
                + "\non_failure:\n  command: \"notify --all\"\n"
        }
        let outcome = try cli.run(["validate", pipeline], environment: [:], in: folder)
        #expect(outcome.status == 2)
        let lines = outcome.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("pipeline.yml:") && $0.contains("requests_per_second") }, "\(outcome.stderr)")
        #expect(lines.contains { $0.contains("pipeline.yml:") && $0.contains("reports.folder") || $0.contains("folder") && $0.contains("text") }, "\(outcome.stderr)")
        #expect(lines.contains { $0.contains("pipeline.yml:") && $0.contains("on_failure") }, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("3 problems"), "\(outcome.stderr)")
    }
}
