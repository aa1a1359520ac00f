import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Every command's error paths exit with a code of the one table (`ScollectETL.ExitCode`), run
/// as cron or an orchestrator runs the executable: never swift-argument-parser's 64 for a usage
/// error, never 1 ("done with rejects") for an error nothing expected.
@Suite(.serialized)
struct ExitCodeTests {
    let cli = CommandLineTests()

    func expectExit(_ arguments: [String], _ code: ScollectETL.ExitCode, environment: [String: String] = [:], in folder: String,
                    saying text: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let outcome = try cli.run(arguments, environment: environment, in: folder)
        #expect(outcome.status == code.rawValue, "\(arguments): exit \(outcome.status), expected \(code.rawValue)\n\(outcome.stderr)",
                sourceLocation: sourceLocation)
        // Said on stderr, or (a held or stopped run without --quiet) in the table on stdout.
        if let text { #expect((outcome.stderr + outcome.stdout).contains(text), "\(arguments): \(outcome.stderr)", sourceLocation: sourceLocation) }
    }

    /// The sample pipeline in a folder of its own (`writePipeline` always writes pipeline.yml).
    func pipeline(_ name: String, in folder: String, target: String, edit: @escaping (String) -> String = { $0 }) throws -> String {
        let own = folder + "/" + name
        try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
        return try cli.writePipeline(in: own, target: target, edit: edit)
    }

    /// A file that is not a journal (nor a pipeline, nor anything else the tool reads).
    func junk(in folder: String) throws -> String {
        let path = folder + "/junk.sqlite"
        try "this is not a database\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func versionAndHelpExitZeroAndTheVersionNamesTheCheckout() throws {
        let folder = try makeTemporaryDirectory("exit")
        let version = try cli.run(["--version"], environment: [:], in: folder)
        #expect(version.status == 0, "\(version.stderr)")
        let printed = version.stdout.trimmingCharacters(in: .newlines)
        #expect(printed.wholeMatch(of: /0\.2\.0 \((git [0-9a-f]{7,}|no git revision)\)/) != nil, "\(printed)")
        // Built from this checkout: its commit (the build runs before the tests, so HEAD is it
        // unless a commit was made since the build).
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", repositoryRoot, "rev-parse", "--short=7", "HEAD"]
        let out = Pipe()
        git.standardOutput = out
        git.standardError = FileHandle.nullDevice
        try git.run()
        let head = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        git.waitUntilExit()
        if git.terminationStatus == 0 { #expect(printed.hasPrefix("0.2.0 (git "), "a checkout's build names its commit (HEAD is \(head))") }

        let help = try cli.run(["--help"], environment: [:], in: folder)
        #expect(help.status == 0 && help.stdout.contains("Exit codes"))
        for subcommand in ["run", "plan", "demo", "runs", "rollback", "settle", "validate", "preview", "guess", "sandbox", "bench"] {
            let sub = try cli.run([subcommand, "--help"], environment: [:], in: folder)
            #expect(sub.status == 0, "\(subcommand) --help: \(sub.status)")
        }
    }

    /// The build's revision: the checkout's commit; nil (`no git revision`) for a tree that is
    /// not a checkout, even when it lies inside another repository (a tarball unpacked there).
    @Test func theRevisionIsTheCheckoutsOrNone() throws {
        func revision(of root: String) throws -> String {
            let out = try makeTemporaryDirectory("revision")
            let script = Process()
            script.executableURL = URL(fileURLWithPath: "/bin/sh")
            script.arguments = [repositoryPath("Scripts/git-revision.sh"), root, out]
            try script.run()
            script.waitUntilExit()
            return try String(contentsOfFile: out + "/GitRevision.swift", encoding: .utf8)
        }
        #expect(try revision(of: try makeTemporaryDirectory("tarball")).contains("let gitRevision: String? = nil"))
        let inside = repositoryPath(".build/revision-test-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: inside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: inside) }
        #expect(try revision(of: inside).contains("let gitRevision: String? = nil"))
        if FileManager.default.fileExists(atPath: repositoryPath(".git")) {
            #expect(try revision(of: repositoryRoot).contains(#/let gitRevision: String\? = "[0-9a-f]{7,}"/#))
        }
    }

    /// The README's table, `--help`'s and the code's are one table.
    @Test func theReadmeAndHelpShowTheCodesTable() throws {
        let folder = try makeTemporaryDirectory("exit")
        let help = try cli.run(["--help"], environment: [:], in: folder).stdout
        let readme = try String(contentsOfFile: repositoryPath("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Exit codes").dropFirst().first)
        var rows: [Int32: String] = [:]
        for line in section.split(separator: "\n") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            if cells.count >= 2, let code = Int32(cells[0]) { rows[code] = cells[1] }
        }
        #expect(rows.keys.sorted() == ScollectETL.ExitCode.allCases.map(\.rawValue), "README rows \(rows.keys.sorted())")
        for code in ScollectETL.ExitCode.allCases {
            #expect(rows[code.rawValue]?.hasPrefix(code.meaning) == true, "README row \(code.rawValue): \(rows[code.rawValue] ?? "missing")")
            #expect(help.contains("  \(code.rawValue)  \(code.meaning)"), "--help lacks \(code.rawValue)")
        }
    }

    @Test func usageErrorsExitTwoForEveryCommand() throws {
        let folder = try makeTemporaryDirectory("exit")
        try expectExit(["--bogus"], .badPipelineOrArguments, in: folder)
        try expectExit(["no-such-command"], .badPipelineOrArguments, in: folder)
        for arguments in [["run"], ["run", "p.yml", "--bogus"], ["run", "p.yml", "--quiet", "--verbose"], ["run", "p.yml", "--log-level", "loud"],
                          ["run", "p.yml", "--log-format", "xml"], ["plan"], ["plan", "p.yml", "--bogus"], ["demo", "--bogus"],
                          ["runs", "--limit", "many"], ["rollback"], ["settle", "r"], ["settle", "r", "1", "--as", "maybe"],
                          ["validate"], ["preview"], ["preview", "x.csv", "--format", "xml"], ["guess"], ["guess", "x.csv", "--reader", "nope"],
                          ["sandbox", "--port", "eighty"], ["sandbox", "--http-500", "2"], ["sandbox", "reset", "--bogus"],
                          ["sandbox", "seed", "--accounts", "-1"], ["bench", "generate"], ["bench", "read"], ["bench", "calls", "--rows", "x"]] {
            let outcome = try cli.run(arguments, environment: [:], in: folder)
            #expect(outcome.status == ScollectETL.ExitCode.badPipelineOrArguments.rawValue, "\(arguments): exit \(outcome.status)\n\(outcome.stderr)")
            #expect(!outcome.stderr.isEmpty, "\(arguments): says why")
        }
    }

    @Test func runPlanAndDemoErrorPaths() throws {
        let folder = try makeTemporaryDirectory("exit")
        // The pipeline file: missing, not YAML, a typo.
        try expectExit(["run", folder + "/missing.yml"], .badPipelineOrArguments, in: folder, saying: "missing.yml")
        try "source: [unclosed\n".write(toFile: folder + "/broken.yml", atomically: true, encoding: .utf8)
        try expectExit(["run", folder + "/broken.yml"], .badPipelineOrArguments, in: folder, saying: "broken.yml")
        try expectExit(["plan", folder + "/broken.yml"], .badPipelineOrArguments, in: folder, saying: "broken.yml")
        let typo = try pipeline("typo", in: folder, target: "sandbox") { $0.replacingOccurrences(of: "max_in_flight:", with: "max_in_fligth:") }
        try expectExit(["run", typo], .badPipelineOrArguments, in: folder, saying: "max_in_fligth")
        try expectExit(["run", typo, "--date", "12/02/2026"], .badPipelineOrArguments, in: folder, saying: "--date")

        // The target: no credentials (2), nothing listening (6), credentials refused (3).
        let unreachable = try pipeline("unreachable", in: folder, target: "http://127.0.0.1:9", edit: CommandLineTests.downAfterOneSecond)
        try expectExit(["run", unreachable], .badPipelineOrArguments, in: folder, saying: "needs credentials")
        try expectExit(["plan", unreachable], .badPipelineOrArguments, in: folder, saying: "needs credentials")
        try expectExit(["run", unreachable], .apiUnavailable, environment: ["SCOLLECT_APIKEY": "k", "SCOLLECT_PIN": "p"], in: folder)
        let (server, _) = try startSampleSandbox()
        defer { server.stop() }
        let remote = try pipeline("remote", in: folder, target: "https://scollect.invalid")
        try expectExit(["run", remote], .credentialsRefused, environment: ["SCOLLECT_URL": server.baseURL, "SCOLLECT_APIKEY": "wrong-key", "SCOLLECT_PIN": "000"],
                       in: folder)

        // The input: a mapped column missing (4).
        let missing = try pipeline("missing", in: folder, target: "sandbox") { $0.replacingOccurrences(of: "firstname: First Name", with: "firstname: Frist Name") }
        try expectExit(["run", missing], .inputHeld, in: folder, saying: "Frist Name")
        try expectExit(["plan", missing], .inputHeld, in: folder, saying: "Frist Name")

        // demo: no pipeline where it looks, or a real server named.
        try expectExit(["demo"], .badPipelineOrArguments, in: folder, saying: "not found")
        try expectExit(["demo", "--pipeline", typo], .badPipelineOrArguments, in: folder, saying: "max_in_fligth")
        try expectExit(["demo", "--pipeline", missing], .badPipelineOrArguments, environment: ["SCOLLECT_URL": server.baseURL], in: folder,
                       saying: "unset SCOLLECT_URL")
    }

    @Test func journalCommandsErrorPaths() throws {
        let folder = try makeTemporaryDirectory("exit")
        let junk = try junk(in: folder)
        // runs: no journal yet is not an error; a file that is not a journal is.
        let none = try cli.run(["runs"], environment: [:], in: folder)
        #expect(none.status == 0 && none.stdout.contains("no run journal"))
        try expectExit(["runs", "--journal", junk], .badPipelineOrArguments, in: folder, saying: "cannot open the run journal")
        // settle: no journal, not a journal, no such run.
        try expectExit(["settle", "20261202T031500Z-1a2b3c4d", "3", "--as", "absent"], .badPipelineOrArguments, in: folder, saying: "no run journal")
        try expectExit(["settle", "r", "3", "--as", "absent", "--journal", junk], .badPipelineOrArguments, in: folder, saying: "cannot open")

        // A real journal with one run in it.
        let (server, _) = try startSampleSandbox()
        defer { server.stop() }
        let env = ["SCOLLECT_URL": server.baseURL, "SCOLLECT_APIKEY": SandboxConfiguration.defaultAPIKey, "SCOLLECT_PIN": SandboxConfiguration.defaultPIN,
                   "SCOLLECT_JOURNAL": folder + "/journal.sqlite"]
        let pipeline = try cli.writePipeline(in: folder, target: "https://scollect.invalid")
        #expect(try cli.run(["run", pipeline, "--quiet"], environment: env, in: folder).status == 1)
        try expectExit(["settle", "20200101T000000Z-00000000", "3", "--as", "absent"], .badPipelineOrArguments, environment: env, in: folder,
                       saying: "no run 20200101T000000Z-00000000")
        // rollback: an unknown run says so, and prints no half-empty header before.
        let unknown = try cli.run(["rollback", "20200101T000000Z-00000000"], environment: env, in: folder)
        #expect(unknown.status == 2, "\(unknown.stderr)")
        #expect(unknown.stdout.isEmpty, "nothing on stdout: \(unknown.stdout)")
        #expect(unknown.stderr.contains("no run 20200101T000000Z-00000000"))
        try expectExit(["rollback", "x", "--journal", junk], .badPipelineOrArguments, environment: env, in: folder, saying: "cannot open")
        try expectExit(["rollback", "x", "--pipeline", folder + "/missing.yml"], .badPipelineOrArguments, in: folder, saying: "missing.yml")
    }

    @Test func fileCommandsErrorPaths() throws {
        let folder = try makeTemporaryDirectory("exit")
        // validate: 2 for a missing, broken or wrong pipeline, and for a missing input, with its place.
        try expectExit(["validate", folder + "/missing.yml"], .badPipelineOrArguments, in: folder, saying: "missing.yml")
        let noInput = try cli.writePipeline(in: folder, target: "sandbox") {
            $0.replacingOccurrences(of: repositoryPath("SampleData") + "/placement.csv", with: folder + "/gone.csv")
        }
        let outcome = try cli.run(["validate", noInput], environment: [:], in: folder)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(#/pipeline\.yml:\d+:\d+: source\.file: .*gone\.csv/#), "file:line:column of source.file: \(outcome.stderr)")
        // preview: a pipeline that does not load is 2; an input that cannot be read is 4.
        try expectExit(["preview", folder + "/missing.yml"], .badPipelineOrArguments, in: folder)
        try expectExit(["preview", noInput], .inputHeld, in: folder, saying: "gone.csv")
        try expectExit(["preview", folder + "/gone.csv"], .inputHeld, in: folder, saying: "gone.csv")
        // guess: an unreadable file is 4.
        try expectExit(["guess", folder + "/gone.csv"], .inputHeld, in: folder, saying: "gone.csv")
        // bench read: its pipeline is a pipeline like any other.
        try expectExit(["bench", "read", folder + "/missing.yml"], .badPipelineOrArguments, in: folder, saying: "missing.yml")
    }

    /// An error nothing expected (here: writing under a path whose parent is a file) is 8, with a
    /// message saying so — never 1, which an orchestrator reads as a normal night with rejects.
    @Test func anUnexpectedErrorIsEightNotOne() throws {
        let folder = try makeTemporaryDirectory("exit")
        try "a file, not a folder\n".write(toFile: folder + "/plain", atomically: true, encoding: .utf8)
        try expectExit(["bench", "generate", "--rows", "10", "--output", folder + "/plain/out.csv"], .internalError, in: folder,
                       saying: "internal error")
    }
}
