import Foundation
import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Portfolio exports over real HTTP from a real sandbox, read back.
@Suite(.serialized)
struct PortfolioExportTests {
    func pipeline(_ name: String, folder: String, format: ExportPipelineConfig.Format? = nil) throws -> ExportPipelineConfig {
        var config = try ExportPipelineLoader.load(path: repositoryPath("Pipelines/\(name).yml"))
        if let format {
            config.sink.format = format
        }
        config.sink.path = folder + "/export." + config.sink.format.rawValue
        config.reportsFolder = folder + "/reports"
        config.target.requestsPerSecond = 2000
        return config
    }

    func run(_ config: ExportPipelineConfig, against server: SandboxServer) -> RunSummary {
        let target = RunTarget(baseURL: server.baseURL, credentials: Credentials(apikey: SandboxConfiguration.defaultAPIKey, pin: SandboxConfiguration.defaultPIN),
                               description: "test sandbox \(server.baseURL)")
        return ExportRunner(config: config, target: target).run()
    }

    func xlsxRows(_ path: String) throws -> [[String: String]] {
        let reader = try XLSXReader(path: path)
        var rows: [[String: String]] = []
        while let result = try reader.next() {
            guard case let .record(record) = result else { continue }
            var row: [String: String] = [:]
            for (index, name) in reader.header.enumerated() where index < record.count { row[name] = record.value(at: index) }
            rows.append(row)
        }
        return rows
    }

    @Test func csvExportHoldsR1050WithTheDocumentsValues() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        let summary = run(try pipeline("portfolio-export-csv", folder: folder), against: server)
        #expect(summary.exitCode == .done, "\(summary.table)")
        let rows = try readCSVRecords(folder + "/export.csv")
        #expect(rows.count == summary.written)
        let r1050 = try #require(rows.first { $0["Account"] == "R1050" })
        #expect(r1050["Client Account"] == "12345679")
        #expect(r1050["Portfolio"] == "C2CLA 12.1.22")
        #expect(r1050["First Name"] == "CLAUDIA")
        #expect(r1050["Last Name"] == "LAST NAME")
        #expect(r1050["SSN"] == "3333")
        #expect(r1050["DOB"] == "1965-10-18")          // document: 10/18/1965
        #expect(r1050["Balance"] == "809.00")
        #expect(r1050["Charge-off Date"] == "2013-05-20") // document: 5/20/2013
        #expect(r1050["Zip"] == "12345")
        #expect(r1050["Phones"] == "8")
        #expect(r1050["Primary Phone"] == "111-222-3333")
        // The reports: a summary and an audit line per call, no rejects.
        let audit = try readGzipFile(summary.reportFolder + "/audit.jsonl.gz")
        #expect(audit.contains("\"endpoint\":\"get_accounts_in_portfolio\""))
        #expect(FileManager.default.fileExists(atPath: summary.reportFolder + "/summary.json"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/export.csv.partial"))
    }

    @Test func xlsxExportReadsBackEqualToTheCSVExport() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        #expect(run(try pipeline("portfolio-export-csv", folder: folder), against: server).exitCode == .done)
        #expect(run(try pipeline("portfolio-export", folder: folder), against: server).exitCode == .done)
        let csv = try readCSVRecords(folder + "/export.csv")
        let xlsx = try xlsxRows(folder + "/export.xlsx")
        #expect(xlsx.count == csv.count)
        for (fromXLSX, fromCSV) in zip(xlsx, csv) {
            for (key, value) in fromCSV {
                // Money cells are numbers: 809.00 reads back as 809.
                let expected = ["Balance", "Total Paid", "Last Payment Amount"].contains(key) && !value.isEmpty
                    ? String(Double(value)!).replacingOccurrences(of: ".0", with: "", options: [.anchored, .backwards]) : value
                #expect(fromXLSX[key, default: ""] == expected, "\(key) of \(fromCSV["Account"] ?? "?")")
            }
        }
    }

    @Test func jsonAndNDJSONExports() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        var config = try pipeline("portfolio-export-csv", folder: folder, format: .json)
        #expect(run(config, against: server).exitCode == .done)
        let array = try #require(JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: config.sink.path)))?.arrayValue)
        let r1050 = try #require(array.first { $0["Account"] == .string("R1050") })
        #expect(r1050["Balance"] == .number(809))
        #expect(r1050["DOB"] == .string("1965-10-18"))
        config = try pipeline("portfolio-export-csv", folder: folder, format: .ndjson)
        config.sink.gzip = true
        config.sink.path += ".gz"
        #expect(run(config, against: server).exitCode == .done)
        let lines = try readGzipFile(config.sink.path).split(separator: "\n")
        #expect(lines.count == array.count)
        #expect(lines.contains { JSONValue.parse(Data($0.utf8))?["Account"] == .string("R1050") })
    }

    @Test func generatedPortfolioExportsInOrderAndUnknownPortfolioStops() throws {
        let folder = try makeTemporaryDirectory("export-seed")
        let database = folder + "/sandbox.sqlite"
        let outcome = try SandboxGenerator.seed(databasePath: database, accounts: 300, portfolio: "SEEDED 300")
        #expect(outcome.accounts == 300)
        let server = try SandboxServer.start(SandboxConfiguration(databasePath: database, port: 0, seedFiles: []))
        defer { server.stop() }
        var config = try pipeline("portfolio-export-csv", folder: folder)
        config.portfolios = .named(["SEEDED 300", "C2CLA 12.1.22"])
        config.target.batchSize = 64
        let summary = run(config, against: server)
        #expect(summary.exitCode == .done, "\(summary.table)")
        let rows = try readCSVRecords(config.sink.path)
        #expect(rows.count == 301)
        // Portfolio order, then account order, whatever the workers' timing.
        #expect(rows.prefix(300).map { $0["Account"]! } == (1...300).map { String(format: "G%07d", $0) })
        #expect(rows.last?["Account"] == "R1050")
        #expect(rows.allSatisfy { $0["Zip"]?.count == 5 && $0["SSN"]?.count == 4 })
        #expect(rows.contains { $0["Zip"]!.hasPrefix("0") })

        config.portfolios = .named(["NO SUCH PORTFOLIO"])
        config.sink.path = folder + "/none.csv"
        let refused = run(config, against: server)
        #expect(refused.exitCode == .badPipelineOrArguments)
        #expect(!FileManager.default.fileExists(atPath: config.sink.path))
    }

    @Test func emptyListAnswersAreNotErrors() throws {
        let folder = try makeTemporaryDirectory("export-reject")
        let database = folder + "/sandbox.sqlite"
        _ = try SandboxGenerator.seed(databasePath: database, accounts: 5, portfolio: "FIVE")
        let server = try SandboxServer.start(SandboxConfiguration(databasePath: database, port: 0, seedFiles: []))
        defer { server.stop() }
        var config = try pipeline("portfolio-export-csv", folder: folder)
        config.portfolios = .named(["FIVE"])
        // getattempts answers {"result": {"result": []}}: empty, not an error.
        config.includes.append(.attempts)
        config.columns.append(ExportColumn(name: "Attempts", source: .count(.attempts), format: .number))
        let summary = run(config, against: server)
        #expect(summary.exitCode == .done, "\(summary.table)")
        let rows = try readCSVRecords(config.sink.path)
        #expect(rows.count == 5)
        #expect(rows.allSatisfy { $0["Attempts"] == "0" })
    }

    @Test func anUnavailableAPIStopsTheExportAndLeavesNoFile() throws {
        let (server, folder) = try startSampleSandbox(serverErrorShare: 1)
        defer { server.stop() }
        var config = try pipeline("portfolio-export-csv", folder: folder)
        config.target.retry = RetryPolicy(maxAttempts: 2, baseDelay: 0.001, maxDelay: 0.01, downAfter: 1)
        let summary = run(config, against: server)
        #expect(summary.exitCode == .apiUnavailable, "\(summary.table)")
        #expect(summary.abortReason?.contains("no export was written") == true)
        #expect(!FileManager.default.fileExists(atPath: config.sink.path))
        #expect(!FileManager.default.fileExists(atPath: config.sink.path + ".partial"))
    }

    /// An export whose folder cannot be made (its parent is a file) is held before any call,
    /// with the reason in its summary.json and its audit closed, like any other run (the CLI
    /// writes its report.html from them), and `latest` left where it was.
    @Test func anExportFolderThatCannotBeMadeIsHeldWithItsReport() throws {
        let (server, folder) = try startSampleSandbox()
        defer { server.stop() }
        var config = try pipeline("portfolio-export-csv", folder: folder)
        #expect(FileManager.default.createFile(atPath: folder + "/not-a-folder", contents: Data("x".utf8)))
        config.sink.path = folder + "/not-a-folder/export.csv"
        let summary = run(config, against: server)
        #expect(summary.exitCode == .inputHeld, "\(summary.table)")
        #expect(summary.abortReason?.contains("not-a-folder") == true, "\(summary.abortReason ?? "")")
        #expect(summary.abortReason?.contains("no export was written") == true)
        let written = try String(contentsOfFile: summary.reportFolder + "/summary.json", encoding: .utf8)
        #expect(written.contains("not-a-folder"))
        #expect(try readGzipFile(summary.reportFolder + "/audit.jsonl.gz").contains("\"kind\":\"export\""))
        #expect(server.stats.arrivals == 0)
        // Held, as a held file is: `latest` is not moved to it.
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/reports/latest")) == nil)
    }
}
