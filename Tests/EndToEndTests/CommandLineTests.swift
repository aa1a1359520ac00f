import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// The `scollect-etl` executable, run as an operator or cron would: environment, exit codes,
/// reports on disk.
@Suite(.serialized)
struct CommandLineTests {
    /// The built executable next to the test bundle.
    static var executable: String {
        let folder = Bundle.main.executableURL?.deletingLastPathComponent().path
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        for candidate in [folder + "/scollect-etl", repositoryPath(".build/debug/scollect-etl")]
            where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return folder + "/scollect-etl"
    }

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    func run(_ arguments: [String], environment: [String: String], in directory: String, executable: String = CommandLineTests.executable) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["SCOLLECT_URL", "SCOLLECT_APIKEY", "SCOLLECT_PIN"] { env[key] = nil }
        // State (journals, the sandbox database, locks) in the test's folder, never the developer's home.
        env["SCOLLECT_STATE_DIR"] = directory + "/.scollect"
        env.merge(environment) { $1 }
        process.environment = env
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes at once: a child that fills one (a trace-level log on stderr) while the
        // other is read to its end would block forever.
        // Written by the reading thread before `leave()`, read here after `wait()`.
        final class Collected: @unchecked Sendable { var data = Data() }
        let stderr = Collected()
        let reading = DispatchGroup()
        reading.enter()
        DispatchQueue.global().async {
            stderr.data = err.fileHandleForReading.readDataToEndOfFile()
            reading.leave()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr.data, as: UTF8.self))
    }

    /// The sample pipeline with absolute paths, its target replaced, reports in `folder`.
    func writePipeline(in folder: String, target: String, edit: (String) -> String = { $0 }) throws -> String {
        var text = try String(contentsOfFile: repositoryPath("Pipelines/nightly-placement.yml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "../SampleData/", with: repositoryPath("SampleData") + "/")
            .replacingOccurrences(of: "folder: ../reports/nightly-placement", with: "folder: \(folder)/reports")
            .replacingOccurrences(of: "url: sandbox ", with: "url: \(target) ")
            .replacingOccurrences(of: "requests_per_second: 200", with: "requests_per_second: 2000")
        text = edit(text)
        let path = folder + "/pipeline.yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A target nothing answers counts as down after a second, not the default minute.
    static func downAfterOneSecond(_ text: String) -> String {
        text.replacingOccurrences(of: "  max_in_flight: 4\n", with: "  max_in_flight: 4\n  retry: { down_after_seconds: 1 }\n")
    }

    func summary(in folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/reports/latest/summary.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    @Test func environmentPointsTheSamePipelineAtAnotherServerWithTheSameCounts() throws {
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repositoryPath("SampleData/placement.expected.json")))) as! [String: Any]
        // "Another server that implements the documented API": a separate sandbox with its own
        // credentials; the pipeline names a real-looking URL that SCOLLECT_URL overrides.
        let folder = try makeTemporaryDirectory("cli")
        var configuration = SandboxConfiguration(databasePath: folder + "/other.sqlite", port: 0,
                                                 seedFiles: [repositoryPath("SampleData/sandbox-accounts.json")])
        configuration.apikey = "other-server-key"
        configuration.pin = "ZZ9"
        let server = try SandboxServer.start(configuration)
        defer { server.stop() }
        let pipeline = try writePipeline(in: folder, target: "https://scollect.invalid:8000")
        let outcome = try run(["run", pipeline, "--quiet"], environment: [
            "SCOLLECT_URL": server.baseURL, "SCOLLECT_APIKEY": "other-server-key", "SCOLLECT_PIN": "ZZ9",
        ], in: folder)
        #expect(outcome.status == 1, "done with rejects; stderr: \(outcome.stderr)")
        #expect(!outcome.stderr.contains("EMBEDDED SANDBOX"))
        let summary = try summary(in: folder)
        let rejectedByReason = expected["rejected"] as! [String: Int]
        #expect(summary["rows_read"] as? Int == expected["rows"] as? Int)
        #expect(summary["rejected"] as? Int == rejectedByReason.values.reduce(0, +))
        #expect(summary["written"] as? Int == (expected["expected_after_load"] as! [String: Any]).count)
        #expect(summary["unchanged"] as? Int == (expected["unchanged_rows"] as! [Any]).count)
        #expect(summary["rejects_by_reason"] as? [String: Int] == rejectedByReason)
        #expect(!outcome.stdout.contains("other-server-key") && !outcome.stderr.contains("other-server-key"))
    }

    @Test func sandboxTargetStartsTheEmbeddedSandboxLoudly() throws {
        let folder = try makeTemporaryDirectory("cli")
        let pipeline = try writePipeline(in: folder, target: "sandbox")
        let outcome = try run(["run", pipeline], environment: [:], in: folder)
        #expect(outcome.status == 1, "stderr: \(outcome.stderr)")
        #expect(outcome.stderr.contains("EMBEDDED SANDBOX"))
        #expect(FileManager.default.fileExists(atPath: folder + "/.scollect/sandbox.sqlite"))
    }

    @Test func aRealURLTargetNeverFallsBackToTheSandbox() throws {
        let folder = try makeTemporaryDirectory("cli")
        // Port 9 on loopback: nothing listens; the run must fail, not quietly use a sandbox.
        let pipeline = try writePipeline(in: folder, target: "http://127.0.0.1:9", edit: Self.downAfterOneSecond)
        let noCredentials = try run(["run", pipeline], environment: [:], in: folder)
        #expect(noCredentials.status == 2, "credentials come only from the environment")
        let unreachable = try run(["run", pipeline], environment: ["SCOLLECT_APIKEY": "k", "SCOLLECT_PIN": "p"], in: folder)
        #expect(unreachable.status == 6, "stderr: \(unreachable.stderr)")
        #expect(!unreachable.stderr.contains("EMBEDDED SANDBOX"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/.scollect/sandbox.sqlite"))
    }

    @Test func badPipelineAndMissingColumnHaveTheirExitCodes() throws {
        let folder = try makeTemporaryDirectory("cli")
        let typo = try writePipeline(in: folder, target: "sandbox") { $0.replacingOccurrences(of: "max_in_flight:", with: "max_in_fligth:") }
        let bad = try run(["run", typo], environment: [:], in: folder)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("pipeline.yml:") && bad.stderr.contains("max_in_fligth") && bad.stderr.contains("did you mean \"max_in_flight\""))

        let missing = try writePipeline(in: folder, target: "sandbox") { $0.replacingOccurrences(of: "firstname: First Name", with: "firstname: Frist Name") }
        let held = try run(["run", missing], environment: [:], in: folder)
        #expect(held.status == 4, "stderr: \(held.stderr)")
        // Said once: in the table's HELD line (on stderr instead with --quiet or JSON logs).
        #expect(held.stdout.contains("Frist Name") && held.stdout.contains("\"First Name\""))
        #expect(held.stdout.components(separatedBy: "Frist Name").count + held.stderr.components(separatedBy: "Frist Name").count - 2 == 1,
                "\(held.stdout)\n\(held.stderr)")
        let quietHeld = try run(["run", missing, "--quiet"], environment: [:], in: folder)
        #expect(quietHeld.status == 4 && quietHeld.stderr.components(separatedBy: "Frist Name").count - 1 == 1, "\(quietHeld.stderr)")
    }
}
