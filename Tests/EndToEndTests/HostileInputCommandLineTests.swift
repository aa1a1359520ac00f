import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Issue 17's findings as an operator meets them on the command line: creditor files and server
/// answers are untrusted, pipeline files are checked, credentials never travel in clear.
@Suite(.serialized)
struct HostileInputCommandLineTests {
    let cli = CommandLineTests()

    func sandboxEnvironment(_ server: SandboxServer, folder: String) -> [String: String] {
        ["SCOLLECT_URL": server.baseURL, "SCOLLECT_APIKEY": SandboxConfiguration.defaultAPIKey, "SCOLLECT_PIN": SandboxConfiguration.defaultPIN,
         "SCOLLECT_JOURNAL": folder + "/journal.sqlite"]
    }

    // MARK: finding 2

    /// Headers and samples with embedded newlines tried to add an on_failure command to the draft.
    @Test(arguments: [
        // A recognised header with a newline, an unmapped header and an unmapped sample that break out of comments.
        "\"Account\nNumber\",\"Memo\non_failure:\n  command: [/bin/sh, -c, \"\"touch PWNED\"\"]\n#\",SSN\n"
            + "R3001,\"note\non_failure: {command: [/bin/sh, -c, \"\"touch PWNED\"\"]}\n#\",123-45-6789\n"
            + "R3002,plain,234-56-7890\n",
        // No header names the account key: the guessed one shows its sample in a comment.
        "Key Id,SSN\n\"R1\non_failure: {command: [/bin/sh, -c, \"\"touch PWNED\"\"]}\n#\",123-45-6789\nR2,234-56-7890\n",
    ])
    func aCraftedFileCannotWriteIntoTheDraftPipeline(csv: String) throws {
        let folder = try makeTemporaryDirectory("guess-hostile")
        try csv.write(toFile: folder + "/creditor.csv", atomically: true, encoding: .utf8)
        let guessed = try cli.run(["guess", folder + "/creditor.csv", "-o", folder + "/draft.yml"], environment: [:], in: folder)
        #expect(guessed.status == 0, "stderr: \(guessed.stderr)")
        let text = try String(contentsOfFile: folder + "/draft.yml", encoding: .utf8)
        let config = try PipelineLoader.load(path: folder + "/draft.yml")
        #expect(config.onFailure == nil, "the draft gained an on_failure command:\n\(text)")
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("on_failure") || $0.hasPrefix("  command") }, "\(text)")
        // The header with a newline round-trips: the draft maps exactly that column.
        let header = csv.hasPrefix("Key Id") ? "Key Id" : "Account\nNumber"
        #expect(config.mapping.first { $0.field == "filenumber" }?.column == header, "\(text)")
        let validated = try cli.run(["validate", folder + "/draft.yml"], environment: [:], in: folder)
        #expect(validated.status == 0, "stderr: \(validated.stderr)\n\(text)")
        #expect(!validated.stdout.contains("on_failure will run"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/PWNED"))
    }

    @Test func validateShowsTheCommandAPipelineWouldRunOnFailure() throws {
        let folder = try makeTemporaryDirectory("validate-on-failure")
        let pipeline = try cli.writePipeline(in: folder, target: "sandbox") {
            $0 + "\non_failure:\n  command: [/bin/sh, -c, \"curl -d @- https://hooks.example/ops\"]\n  when: [6]\n"
        }
        let outcome = try cli.run(["validate", pipeline], environment: [:], in: folder)
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        #expect(outcome.stdout.contains("on_failure will run: /bin/sh -c 'curl -d @- https://hooks.example/ops' (on exit 6;"), "\(outcome.stdout)")
    }

    // MARK: finding 6

    @Test func plainHttpToAnyHostButLoopbackIsRefusedBeforeAnythingIsSent() throws {
        let folder = try makeTemporaryDirectory("plain-http")
        let pipeline = try cli.writePipeline(in: folder, target: "https://scollect.invalid")
        let credentials = ["SCOLLECT_APIKEY": "canary-apikey", "SCOLLECT_PIN": "canary-pin", "SCOLLECT_JOURNAL": folder + "/j.sqlite"]
        let viaEnvironment = try cli.run(["run", pipeline, "--quiet"], environment: credentials.merging(["SCOLLECT_URL": "http://scollect.invalid:8000"]) { $1 }, in: folder)
        #expect(viaEnvironment.status == 2, "stderr: \(viaEnvironment.stderr)")
        #expect(viaEnvironment.stderr.contains("SCOLLECT_URL") && viaEnvironment.stderr.contains("plain http"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/reports"), "refused before the run started")

        let inClear = try cli.writePipeline(in: folder, target: "http://scollect.invalid")
        let validated = try cli.run(["validate", inClear], environment: [:], in: folder)
        #expect(validated.status == 2 && validated.stderr.contains("target.url") && validated.stderr.contains("plain http"), "\(validated.stderr)")
        #expect(try cli.run(["run", inClear, "--quiet"], environment: credentials, in: folder).status == 2)

        _ = try cli.writePipeline(in: folder, target: "https://scollect.invalid")
        let (server, _) = try startSampleSandbox()
        defer { server.stop() }
        let factorsNetwork = try cli.run(["run", pipeline, "--quiet"], environment: sandboxEnvironment(server, folder: folder).merging([
            "FACTORS_NETWORK_URL": "http://factors.invalid", "FACTORS_NETWORK_USER": "u", "FACTORS_NETWORK_PASSWORD": "canary-fn",
        ]) { $1 }, in: folder)
        #expect(factorsNetwork.status == 2 && factorsNetwork.stderr.contains("FACTORS_NETWORK_URL"), "\(factorsNetwork.stderr)")
        #expect(server.stats.admitted == 0, "nothing was sent to the Scollect target either")
    }

    // MARK: finding 9

    @Test(.timeLimit(.minutes(1)))
    func validateRefusesAnchorsAndAliasesAtOnce() throws {
        let folder = try makeTemporaryDirectory("anchors")
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for level in 1...9 { lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]") }
        lines += ["mapping:", "  ? *a9", "  : Account"]
        try lines.joined(separator: "\n").write(toFile: folder + "/bomb.yml", atomically: true, encoding: .utf8)
        let outcome = try cli.run(["validate", folder + "/bomb.yml"], environment: [:], in: folder)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("bomb.yml:1:") && outcome.stderr.contains("anchors and aliases are not allowed"), "\(outcome.stderr)")
    }

    // MARK: finding 12

    @Test func fileNumbersThatAreNotIdentifiersAreRejectedBeforeAnyCall() throws {
        let (server, _) = try startSampleSandbox()
        defer { server.stop() }
        let folder = try makeTemporaryDirectory("filenumbers")
        let sample = try String(contentsOfFile: repositoryPath("SampleData/placement.csv"), encoding: .utf8).split(whereSeparator: \.isNewline).map(String.init)
        let good = sample[1]
        let rest = good.drop { $0 != "," }
        var csv = sample[0] + "\n" + good + "\n"
        for hostile in ["..", ".", "R3001/..", "R3002?x=1"] { csv += hostile + rest + "\n" }
        try csv.write(toFile: folder + "/hostile.csv", atomically: true, encoding: .utf8)
        let pipeline = try cli.writePipeline(in: folder, target: "sandbox") {
            $0.replacingOccurrences(of: repositoryPath("SampleData") + "/placement.csv", with: folder + "/hostile.csv")
        }
        let outcome = try cli.run(["run", pipeline, "--quiet"], environment: sandboxEnvironment(server, folder: folder), in: folder)
        #expect(outcome.status == 1, "stderr: \(outcome.stderr)")
        let rejects = try readCSVRecords(folder + "/reports/latest/rejects.csv.gz").filter { $0["_reject_kind"] == "reject" }
        #expect(rejects.map { $0["Account Number"] ?? "" } == ["..", ".", "R3001/..", "R3002?x=1"])
        #expect(rejects.allSatisfy { $0["_reject_reason"] == "INVALID_FILENUMBER" }, "\(rejects.map { $0["_reject_reason"] ?? "" })")
        // Only the good row's account was read: one getaccount, for R3001.
        #expect(server.stats.endpoints["getaccount"] == 1, "\(server.stats.endpoints)")
    }

    // MARK: finding 13

    @Test func serverMessagesReachTheTerminalWithoutControlCharacters() throws {
        let folder = try makeTemporaryDirectory("verbose-hostile")
        var configuration = SandboxConfiguration(databasePath: folder + "/sandbox.sqlite", port: 0, seedFiles: [repositoryPath("SampleData/sandbox-accounts.json")])
        configuration.serverErrorShare = 1
        configuration.serverErrorMessage = "boom\u{1B}]0;owned\u{07}\u{1B}[2J\r\u{9B}31mfake: all rows written\u{202E}"
        let server = try SandboxServer.start(configuration)
        defer { server.stop() }
        let pipeline = try cli.writePipeline(in: folder, target: "sandbox") {
            $0.replacingOccurrences(of: "  requests_per_second: 2000", with: "  requests_per_second: 2000\n  retry: { max_attempts: 2, base_delay_seconds: 0.01, down_after_seconds: 1 }")
        }
        let outcome = try cli.run(["run", pipeline, "--verbose"], environment: sandboxEnvironment(server, folder: folder), in: folder)
        #expect(outcome.status == 6, "stderr: \(outcome.stderr)")
        #expect(outcome.stderr.contains("login") && outcome.stderr.contains("boom\\x1B]0;owned\\x07\\x1B[2J\\x0D\\x9B31mfake"), "\(outcome.stderr)")
        for output in [outcome.stderr, outcome.stdout] {
            #expect(!output.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || (0x7F...0x9F).contains($0.value) || $0.value == 0x202E },
                    "a control character reached the terminal: \(output.debugDescription)")
        }
    }
}
