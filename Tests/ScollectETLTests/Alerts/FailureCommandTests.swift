import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

struct FailureCommandTests {
    func pipeline(onFailure: String) -> String {
        PipelineLoaderTests.valid + "\n" + onFailure
    }

    /// A notifier that writes what it was given (arguments, environment, stdin) into a file.
    func recordingScript(in folder: String, exitStatus: Int = 0) throws -> String {
        let path = folder + "/notify.sh"
        try """
        #!/bin/sh
        out="$(dirname "$0")/received.txt"
        echo "args=$*" > "$out"
        echo "run=$SCOLLECT_RUN_ID exit=$SCOLLECT_EXIT_CODE file=$SCOLLECT_SUMMARY_FILE" >> "$out"
        echo "apikey=${SCOLLECT_APIKEY:-unset}" >> "$out"
        cat >> "$out"
        exit \(exitStatus)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test func sectionIsParsedWithDefaultsAndProgramPathsRelativeToThePipeline() throws {
        let config = try PipelineLoader.parse(pipeline(onFailure: """
        on_failure:
          command: [bin/notify, --channel, ops]
        """), file: "/srv/p/nightly.yml")
        #expect(config.onFailure == FailureCommand(arguments: ["/srv/p/bin/notify", "--channel", "ops"], exitCodes: [3, 4, 5, 6], timeoutSeconds: 60))
        let custom = try PipelineLoader.parse(pipeline(onFailure: """
        on_failure: { command: [notify], when: [1, 7], timeout_seconds: 5 }
        """), file: "/srv/p/nightly.yml")
        #expect(custom.onFailure == FailureCommand(arguments: ["notify"], exitCodes: [1, 7], timeoutSeconds: 5))
        #expect(try PipelineLoader.parse(PipelineLoaderTests.valid, file: "/srv/p/nightly.yml").onFailure == nil)
    }

    @Test func aShellStringOrAnUnknownExitCodeIsRefused() {
        #expect { try PipelineLoader.parse(pipeline(onFailure: "on_failure: { command: \"notify --channel ops\" }"), file: "/p.yml") } throws: {
            "\($0)".contains("on_failure.command is a list") && "\($0)".contains("p.yml:20:")
        }
        #expect { try PipelineLoader.parse(pipeline(onFailure: "on_failure: { command: [notify], when: [9] }"), file: "/p.yml") } throws: {
            "\($0)".contains("between 1 and 7")
        }
        #expect { try PipelineLoader.parse(pipeline(onFailure: "on_failure: { command: [notify], wehn: [3] }"), file: "/p.yml") } throws: {
            "\($0)".contains("did you mean \"when\"")
        }
    }

    @Test func theCommandGetsTheSummaryOnStdinAndTheRunInItsEnvironment() throws {
        let folder = try makeTemporaryDirectory("on-failure")
        let command = FailureCommand(arguments: [try recordingScript(in: folder), "--channel", "ops"])
        let logged = LogCollector()
        let outcome = command.run(summaryJSON: "{\"exit_code\":6}", runId: "20261123T000000Z-00000001", exitCode: .apiUnavailable,
                                  summaryFile: folder + "/summary.json", environment: ["PATH": "/usr/bin:/bin", "SCOLLECT_APIKEY": "secret-key"],
                                  log: logged.logger())
        #expect(outcome == .exited(0))
        let received = try String(contentsOfFile: folder + "/received.txt", encoding: .utf8)
        #expect(received == """
        args=--channel ops
        run=20261123T000000Z-00000001 exit=6 file=\(folder)/summary.json
        apikey=unset
        {"exit_code":6}

        """)
        #expect(logged.lines.count == 1 && !logged.lines[0].hasPrefix("error"))
    }

    @Test func itsFailureIsLoggedAndItsTimeoutEnforced() throws {
        let folder = try makeTemporaryDirectory("on-failure")
        let logged = LogCollector()
        let failing = FailureCommand(arguments: [try recordingScript(in: folder, exitStatus: 3)])
        #expect(failing.run(summaryJSON: "{}", runId: "r", exitCode: .rejectLimit, summaryFile: "", log: logged.logger()) == .exited(3))
        #expect(logged.lines.last?.hasPrefix("error: on_failure:") == true && logged.lines.last?.contains("stays 5") == true)

        let started = Date()
        let slow = FailureCommand(arguments: ["/bin/sh", "-c", "sleep 30"], timeoutSeconds: 1)
        #expect(slow.run(summaryJSON: "{}", runId: "r", exitCode: .apiUnavailable, summaryFile: "", log: logged.logger()) == .timedOut)
        #expect(Date().timeIntervalSince(started) < 10)

        let missing = FailureCommand(arguments: ["no-such-notifier-\(UUID().uuidString.prefix(6))"])
        guard case .couldNotStart = missing.run(summaryJSON: "{}", runId: "r", exitCode: .apiUnavailable, summaryFile: "", log: logged.logger()) else {
            Issue.record("a missing program is reported, not thrown")
            return
        }
    }

    /// The notifier gets an allow-list environment: no credential of either service, nothing
    /// else of the run's environment but what `pass_env` names.
    @Test func theCommandGetsAnAllowListEnvironmentAndWhatPassEnvNames() throws {
        let folder = try makeTemporaryDirectory("on-failure")
        let script = folder + "/env.sh"
        try "#!/bin/sh\nenv | sort > \"$(dirname \"$0\")/env.txt\"\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let config = try PipelineLoader.parse(pipeline(onFailure: """
        on_failure:
          command: [\(script)]
          pass_env: [SLACK_WEBHOOK_URL]
        """), file: folder + "/p.yml")
        let command = try #require(config.onFailure)
        #expect(command.passEnvironment == ["SLACK_WEBHOOK_URL"])
        let parent = [
            "PATH": "/usr/bin:/bin", "HOME": "/home/ops", "LANG": "en_US.UTF-8", "TZ": "America/New_York",
            "SLACK_WEBHOOK_URL": "https://hooks.example/T1", "AWS_SECRET_ACCESS_KEY": "aws-canary",
            "SCOLLECT_APIKEY": "scollect-canary", "SCOLLECT_PIN": "pin-canary", "SCOLLECT_CREDENTIALS_FILE": "/etc/creds",
            "SCOLLECT_JOURNAL_KEY_FILE": "/etc/journal.key", "FACTORS_NETWORK_USER": "fn-user-canary", "FACTORS_NETWORK_PASSWORD": "fn-password-canary",
        ]
        let outcome = command.run(summaryJSON: "{}", runId: "r1", exitCode: .apiUnavailable, summaryFile: folder + "/summary.json",
                                  environment: parent, log: .silent)
        #expect(outcome == .exited(0))
        let lines = try String(contentsOfFile: folder + "/env.txt", encoding: .utf8).split(separator: "\n").map(String.init)
        // `sh` may add PWD, SHLVL and `_` of its own; everything else is what we handed over.
        let received = Set(lines.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) }).subtracting(["PWD", "SHLVL", "_", "OLDPWD"])
        #expect(received == ["PATH", "HOME", "LANG", "TZ", "SLACK_WEBHOOK_URL", "SCOLLECT_RUN_ID", "SCOLLECT_EXIT_CODE", "SCOLLECT_SUMMARY_FILE"], "\(lines)")
        #expect(lines.contains("SLACK_WEBHOOK_URL=https://hooks.example/T1") && lines.contains("SCOLLECT_EXIT_CODE=6"))
        for canary in ["aws-canary", "scollect-canary", "pin-canary", "fn-user-canary", "fn-password-canary", "/etc/creds", "/etc/journal.key"] {
            #expect(!lines.joined().contains(canary), "\(canary) leaked")
        }
    }

    @Test(arguments: ["SCOLLECT_APIKEY", "SCOLLECT_PIN", "SCOLLECT_CREDENTIALS_FILE", "FACTORS_NETWORK_PASSWORD", "FACTORS_NETWORK_USER", "factors_network_url", "NOT-A-NAME"])
    func passEnvCannotNameACredential(name: String) {
        #expect { try PipelineLoader.parse(pipeline(onFailure: "on_failure: { command: [notify], pass_env: [OK_VAR, \"\(name)\"] }"), file: "/p.yml") } throws: {
            "\($0)".contains("on_failure.pass_env") && "\($0)".contains("p.yml:20:")
        }
    }

    @Test func theSummaryShowsWhatWouldRunWithControlCharactersEscaped() {
        let command = FailureCommand(arguments: ["/bin/sh", "-c", "curl -d @- https://x\u{1B}[8m"], exitCodes: [6, 3], passEnvironment: ["HOOK"])
        #expect(command.summary == "on_failure will run: /bin/sh -c 'curl -d @- https://x\\x1B[8m' (on exit 3, 6; stopped after 60 s; environment: PATH, HOME, LANG, TZ, HOOK, SCOLLECT_RUN_ID, SCOLLECT_EXIT_CODE, SCOLLECT_SUMMARY_FILE)")
    }
}
