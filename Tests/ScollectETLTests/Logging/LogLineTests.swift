import Foundation
import Logging
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Log lines: secrets out whatever their spelling, JSON that parses with the run's context,
/// the engine's metadata on the lines of a run.
struct LogLineTests {
    @Test func secretsAreTakenOutOfAMessage() {
        let message = """
        answer: {"apikey": "k-123456789", "pin": "C2C"} password=hunter2hunter card 4111-1111-1111-1111 \
        ssn 123-45-6789 Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln token=abc.def apikey=the-tenant-key
        """
        let clean = LogLine.redacted(message, secrets: ["the-tenant-key", "C2C"])
        for secret in ["k-123456789", "hunter2hunter", "4111-1111-1111-1111", "123-45-6789", "eyJhbGciOiJIUzI1NiJ9", "abc.def", "the-tenant-key", "\"C2C\""] {
            #expect(!clean.contains(secret), "\(secret) in \(clean)")
        }
        #expect(clean.contains("6789"), "an SSN keeps its last 4")
        // Ordinary words and counts are left alone (a short PIN is not replaced wherever it appears).
        let plain = "rows 1234: written 1200, mapping: 12 columns, spin=3, pinned C2C"
        #expect(LogLine.redacted(plain, secrets: ["C2C"]) == plain)
    }

    @Test func aJSONLineParsesAndAlwaysHasTheRunContext() throws {
        let before = LogLine.json(level: .notice, message: "line one\nline \"two\"\u{1B}[31m", metadata: [:])
        let object = try #require(JSONValue.parse(Data(before.utf8)))
        #expect(!before.contains("\n"))
        #expect(object["message"]?.stringValue == "line one\nline \"two\"\u{1B}[31m")
        #expect(object["level"]?.stringValue == "notice")
        // The keys in a fixed order, the run's context present (null) before there is a run.
        let positions = ["time", "level", "message", "run_id", "pipeline", "input", "target"].map { before.range(of: "\"\($0)\":")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil } && positions.map { $0! } == positions.map { $0! }.sorted(), "\(before)")
        #expect(before.contains("\"run_id\":null"))
        let during = LogLine.json(level: .error, message: "m", metadata: ["run_id": "20261202T000000Z-00000001", "extra": "x"])
        #expect(JSONValue.parse(Data(during.utf8))?["run_id"]?.stringValue == "20261202T000000Z-00000001")
        #expect(JSONValue.parse(Data(during.utf8))?["extra"]?.stringValue == "x")
        #expect(LogLine.text(level: .error, message: "m") == "error: m" && LogLine.text(level: .info, message: "m") == "m")
    }

    /// A run's lines carry run_id, pipeline, input and target (the engine sets them on its logger).
    @Test func aRunsLinesCarryItsContext() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        var text = try String(contentsOfFile: repositoryPath("Pipelines/nightly-placement.yml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "../SampleData/", with: repositoryPath("SampleData") + "/")
            .replacingOccurrences(of: "folder: ../reports/nightly-placement", with: "folder: \(folder)/reports")
        let config = try PipelineLoader.parse(text, file: folder + "/p.yml")
        final class Lines: @unchecked Sendable {
            let lock = NSLock()
            var all: [(Logger.Level, String, Logger.Metadata)] = []
        }
        let lines = Lines()
        var options = RunOptions()
        options.log = .handing(to: { level, message, metadata in
            lines.lock.lock(); lines.all.append((level, message, metadata)); lines.lock.unlock()
        }, level: .debug)
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "sandbox \(server.baseURL)", journalPath: folder + "/journal.sqlite")
        let summary = PipelineRunner(config: config, target: target, options: options).run()
        #expect(summary.exitCode == .doneWithRejects)
        let run = lines.all.filter { $0.2["run_id"] != nil }
        #expect(!run.isEmpty)
        for (_, message, metadata) in run {
            #expect(metadata["run_id"]?.description == summary.runId, "\(message)")
            #expect(metadata["pipeline"]?.description == "nightly-placement" && metadata["target"]?.description == "sandbox \(server.baseURL)")
            #expect(metadata["input"]?.description.hasSuffix("placement.csv") == true)
        }
    }
}
