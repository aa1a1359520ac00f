import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// What an operator sees of a run: the demo's HTML report, --quiet and --verbose, and the
/// on_failure command told of a failed run. Run as the executable, like `CommandLineTests`.
extension CommandLineTests {
    @Test func demoRunFolderHasTheHTMLReport() throws {
        let folder = try makeTemporaryDirectory("cli-report")
        let pipeline = try writePipeline(in: folder, target: "sandbox")
        let outcome = try run(["demo", "--pipeline", pipeline], environment: [:], in: folder)
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        let report = folder + "/reports/latest/report.html"
        #expect(FileManager.default.fileExists(atPath: report))
        #expect(fileMode(report) == 0o600)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        let rejects = try #require(try summary(in: folder)["rejects_by_reason"] as? [String: Int])
        #expect(!rejects.isEmpty)
        for reason in rejects.keys { #expect(html.contains(">\(reason)</text>"), "\(reason) has a bar") }
        #expect(html.components(separatedBy: "<rect class=\"bar\"").count - 1 == rejects.count)
        // The end table names the report and the exit code's meaning.
        #expect(outcome.stdout.contains("report.html"))
        #expect(outcome.stdout.contains("exit code") && outcome.stdout.contains("1  done with rejects"))
        #expect(outcome.stdout.contains("rejects by reason"))
        // The hint names a command that exists here (xdg-open), or just the page: never `open`
        // (on Debian that is openvt).
        let hint = try #require(outcome.stdout.split(separator: "\n").first { $0.contains("report.html") && $0.contains("#") })
        #expect(!hint.trimmingCharacters(in: .whitespaces).hasPrefix("open "), "\(hint)")
    }

    @Test func quietPrintsOneLineAndVerboseEveryRequest() throws {
        let folder = try makeTemporaryDirectory("cli-output")
        let pipeline = try writePipeline(in: folder, target: "sandbox")
        let quiet = try run(["run", pipeline, "--quiet"], environment: [:], in: folder)
        #expect(quiet.status == 1)
        #expect(quiet.stdout.split(separator: "\n").count == 1)
        #expect(quiet.stdout.contains("rejected") && quiet.stdout.contains("exit 1 (done with rejects)"))
        #expect(quiet.stderr.isEmpty, "quiet: errors only, and there was none: \(quiet.stderr)")

        // The demo too: one line, not the demo's walk-through.
        let quietDemo = try run(["demo", "--pipeline", pipeline, "--quiet"], environment: [:], in: folder)
        #expect(quietDemo.status == 0, "\(quietDemo.stderr)")
        #expect(quietDemo.stdout.split(separator: "\n").count == 1 && quietDemo.stderr.isEmpty, "\(quietDemo.stdout)\n\(quietDemo.stderr)")

        let verbose = try run(["run", pipeline, "--verbose", "--force"], environment: [:], in: folder)
        #expect(verbose.status == 1)
        let calls = try #require(try summary(in: folder)["calls_by_endpoint"] as? [String: Int])
        // `debug: GET getaccount R1001 → 200 success 1.2 ms`: one line per request (log level debug), by endpoint.
        let requestLines = verbose.stderr.split(separator: "\n").filter { $0.hasPrefix("debug: ") && $0.contains(" → ") }
        let perEndpoint = Dictionary(grouping: requestLines) { $0.split(separator: " ")[2] }.mapValues(\.count)
        #expect(Dictionary(uniqueKeysWithValues: perEndpoint.map { (String($0.key), $0.value) }) == calls)
        #expect(calls["getaccount"] ?? 0 > 0)
        #expect(verbose.stderr.contains("→ 200 success"))
        #expect(!verbose.stderr.contains(SandboxConfiguration.defaultAPIKey), "no body, no credential")

        let both = try run(["run", pipeline, "--quiet", "--verbose"], environment: [:], in: folder)
        #expect(both.status != 0 && both.stderr.contains("cannot be used together"))
    }

    @Test func onFailureCommandIsToldAndNeverChangesTheExitCode() throws {
        let folder = try makeTemporaryDirectory("cli-alert")
        let script = folder + "/notify.sh"
        try """
        #!/bin/sh
        { echo "args=$*"; echo "exit=$SCOLLECT_EXIT_CODE run=$SCOLLECT_RUN_ID"; echo "apikey=${SCOLLECT_APIKEY:-unset}"; cat; cat "$SCOLLECT_SUMMARY_FILE"; } > "\(folder)/told.txt"
        exit ${NOTIFY_STATUS:-0}
        """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        // Port 9 on loopback: nothing listens, the run stops with 6 (API unavailable).
        let pipeline = try writePipeline(in: folder, target: "http://127.0.0.1:9") {
            // The notifier sees only the allow-list and what pass_env names (its exit status here).
            CommandLineTests.downAfterOneSecond($0) + "\non_failure:\n  command: [\(script), --channel, ops]\n  when: [6]\n  pass_env: [NOTIFY_STATUS]\n"
        }
        let environment = ["SCOLLECT_APIKEY": "alert-test-key", "SCOLLECT_PIN": "p"]
        let failed = try run(["run", pipeline, "--quiet"], environment: environment, in: folder)
        #expect(failed.status == 6, "stderr: \(failed.stderr)")
        let told = try String(contentsOfFile: folder + "/told.txt", encoding: .utf8)
        let runId = try #require(try summary(in: folder)["run_id"] as? String)
        #expect(told.hasPrefix("args=--channel ops\nexit=6 run=\(runId)\napikey=unset\n"))
        // The summary JSON twice: on stdin and in SCOLLECT_SUMMARY_FILE.
        #expect(told.components(separatedBy: "\"exit_code\":6").count - 1 == 2)

        try FileManager.default.removeItem(atPath: folder + "/told.txt")
        let notifierFails = try run(["run", pipeline, "--quiet"], environment: environment.merging(["NOTIFY_STATUS": "3"]) { $1 }, in: folder)
        #expect(notifierFails.status == 6, "the notifier's failure does not change the run's exit code")
        #expect(notifierFails.stderr.contains("error: on_failure:") && notifierFails.stderr.contains("exited with 3"))

        // A run that ends with a code not listed tells nobody.
        try FileManager.default.removeItem(atPath: folder + "/told.txt")
        let sandboxPipeline = try writePipeline(in: folder, target: "sandbox") { $0 + "\non_failure:\n  command: [\(script)]\n  when: [6]\n" }
        let done = try run(["run", sandboxPipeline, "--quiet"], environment: [:], in: folder)
        #expect(done.status == 1)
        #expect(!FileManager.default.fileExists(atPath: folder + "/told.txt"))
    }
}
