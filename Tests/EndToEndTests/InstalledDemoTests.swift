import Foundation
import ScollectETL
import ScollectTestSupport
import Testing

/// `demo` from an installed package: run outside a repository checkout, it copies the shipped
/// samples (here a share folder named by SCOLLECT_SHARE_DIR, laid out like
/// /usr/share/scollect-etl) to ./scollect-etl-demo/ and runs there; the share folder is only read.
extension CommandLineTests {
    /// A share folder like the package's: the sample pipeline unchanged, its data cut to 30 rows.
    func makeShareFolder() throws -> String {
        let share = try makeTemporaryDirectory("share") + "/scollect-etl"
        let fm = FileManager.default
        try fm.createDirectory(atPath: share + "/Pipelines", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: share + "/SampleData", withIntermediateDirectories: true)
        try fm.copyItem(atPath: repositoryPath("Pipelines/nightly-placement.yml"), toPath: share + "/Pipelines/nightly-placement.yml")
        try fm.copyItem(atPath: repositoryPath("SampleData/sandbox-accounts.json"), toPath: share + "/SampleData/sandbox-accounts.json")
        // The header and 30 rows, cut at the 31st line feed (the file's lines end in CRLF).
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: repositoryPath("SampleData/placement.csv"))))
        let cut = bytes.indices.filter { bytes[$0] == UInt8(ascii: "\n") }[30]
        try Data(bytes[...cut]).write(to: URL(fileURLWithPath: share + "/SampleData/placement.csv"))
        return share
    }

    @Test func demoOutsideACheckoutRunsTheInstalledSamplesInACopy() throws {
        let share = try makeShareFolder()
        let before = try FileManager.default.subpathsOfDirectory(atPath: share).sorted()
        let folder = try makeTemporaryDirectory("installed-demo")
        let outcome = try run(["demo"], environment: ["SCOLLECT_SHARE_DIR": share, "SCOLLECT_STATE_DIR": folder + "/state"], in: folder)
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)")
        #expect(outcome.stderr.contains("copied \(share)/Pipelines to"), "\(outcome.stderr)")
        #expect(outcome.stdout.contains("every row accounted for"), "\(outcome.stdout)")

        let copy = folder + "/scollect-etl-demo"
        let data = try Data(contentsOf: URL(fileURLWithPath: copy + "/reports/nightly-placement/latest/summary.json"))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let oracleRows = try pythonCSVRows(share + "/SampleData/placement.csv").count
        #expect(oracleRows == 30 && summary["rows_read"] as? Int == oracleRows, "rows read \(summary["rows_read"] ?? "none"), Python's csv: \(oracleRows)")
        #expect(outcome.stdout.contains(copy + "/reports/nightly-placement/"), "report paths point into the copy: \(outcome.stdout)")
        let after = try FileManager.default.subpathsOfDirectory(atPath: share).sorted()
        #expect(after == before, "the share folder is only read")

        // A second demo reuses the copy (an operator's edits to it stay).
        try "# edited\n".appendToFile(copy + "/Pipelines/nightly-placement.yml")
        let again = try run(["demo"], environment: ["SCOLLECT_SHARE_DIR": share, "SCOLLECT_STATE_DIR": folder + "/state"], in: folder)
        #expect(again.status == 0, "stderr: \(again.stderr)")
        #expect(!again.stderr.contains("copied"), "\(again.stderr)")
        let edited = try String(contentsOfFile: copy + "/Pipelines/nightly-placement.yml", encoding: .utf8)
        #expect(edited.hasSuffix("# edited\n"))
    }

    @Test func demoWithNoSamplesAnywhereSaysWhere() throws {
        // Only meaningful on a machine without the package installed.
        guard !FileManager.default.fileExists(atPath: "/usr/share/scollect-etl") else { return }
        let folder = try makeTemporaryDirectory("no-samples")
        let outcome = try run(["demo"], environment: ["SCOLLECT_SHARE_DIR": folder], in: folder)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("Pipelines/nightly-placement.yml not found"), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/scollect-etl-demo"))
    }
}

private extension String {
    func appendToFile(_ path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(utf8))
    }
}
