import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// A file that is mostly garbage is stopped before it is loaded; an empty night is a normal night.
@Suite(.serialized)
struct RejectLimitAndEmptyInputTests {
    static func pipeline(_ folder: String, input: String, options: String = "") throws -> PipelineConfig {
        let text = """
        source: { file: \(input) }
        mapping: { filenumber: Account Number, socialsecuritynumber: SSN }
        normalize: { socialsecuritynumber: ssn }
        options: { clear_marker: "<CLEAR>"\(options) }
        writers: [updatedbase]
        target: { url: sandbox, requests_per_second: 2000, batch_size: 100 }
        reports: { folder: \(folder)/reports }
        """
        return try PipelineLoader.parse(text, file: folder + "/p.yml")
    }

    static func run(_ config: PipelineConfig, _ server: SandboxServer) -> RunSummary {
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "test")
        return PipelineRunner(config: config, target: target).run()
    }

    /// `rows` data rows for sample accounts; every `badEvery`-th has an impossible SSN.
    static func file(_ folder: String, rows: Int, badEvery: Int) throws -> String {
        var text = "Account Number,SSN\n"
        for i in 1...rows { text += "R\(3001 + (i - 1) % 200),\(i % badEvery == 0 ? "000-12-3456" : "123-45-\(String(format: "%04d", i % 9000 + 1))")\n" }
        let path = folder + "/input.csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func maxRejectsStopsTheRunBeforeTheBatchIsSent() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let input = try Self.file(folder, rows: 500, badEvery: 3)
        let summary = Self.run(try Self.pipeline(folder, input: input, options: ", max_rejects: 20"), server)
        #expect(summary.exitCode == .rejectLimit)
        #expect(summary.rowsRead == 100, "the first batch already passes the limit; nothing after it is read")
        #expect(summary.written == 0, "and nothing of it is sent")
        #expect(summary.callsByEndpoint["updatedbase"] == nil)
        #expect(summary.written + summary.unchanged + summary.rejected == summary.rowsRead)
        #expect(summary.abortReason?.contains("max_rejects") == true)
    }

    @Test func maxRejectRatioIsCheckedFromTheThousandthRow() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let input = try Self.file(folder, rows: 3000, badEvery: 10)  // 10% rejected
        let summary = Self.run(try Self.pipeline(folder, input: input, options: ", max_reject_ratio: 0.05"), server)
        #expect(summary.exitCode == .rejectLimit)
        #expect(summary.rowsRead == 1000)
        #expect(summary.written > 0, "the first 900 good rows went through before the ratio could be judged")
        let lenient = Self.run(try Self.pipeline(folder, input: input, options: ", max_reject_ratio: 0.2"), server)
        #expect(lenient.exitCode == .doneWithRejects)
        #expect(lenient.rowsRead == 3000)
    }

    @Test func anEmptyFileAndAHeaderOnlyFileAreNothingToLoad() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let empty = folder + "/empty.csv"
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        let none = Self.run(try Self.pipeline(folder, input: empty), server)
        #expect(none.exitCode == .done)
        #expect(none.notices.first?.contains("empty: nothing to load") == true)
        #expect(none.callsMade == 0)

        let headerOnly = folder + "/header.csv"
        try "Account Number,SSN\r\n".write(toFile: headerOnly, atomically: true, encoding: .utf8)
        let nothing = Self.run(try Self.pipeline(folder, input: headerOnly), server)
        #expect(nothing.exitCode == .done)
        #expect(nothing.rowsRead == 0)
        #expect(nothing.notices.first?.contains("no data rows") == true)
        #expect(nothing.table.contains("nothing to load"))
    }
}
