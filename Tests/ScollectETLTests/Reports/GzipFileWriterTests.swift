import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

struct GzipFileWriterTests {
    @Test func writesGzipThatReadsBackWithMode0600() throws {
        let path = try makeTemporaryDirectory() + "/out.txt.gz"
        // An existing world-readable file must still end up 0600.
        #expect(FileManager.default.createFile(atPath: path, contents: Data("old".utf8), attributes: [.posixPermissions: 0o644]))
        let writer = try GzipFileWriter(path: path)
        var expected = ""
        for i in 0..<20_000 {
            let line = "line \(i) ünïcödé, \"quoted\"\n"
            expected += line
            try writer.write(line)
        }
        try writer.finish()
        #expect(try readGzipFile(path) == expected)
        #expect(fileMode(path) == 0o600)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        #expect(size < expected.utf8.count / 5, "compressed")
    }

    @Test func rejectReportRoundTripsQuotedValues() throws {
        let path = try makeTemporaryDirectory() + "/rejects.csv.gz"
        let report = try RejectReport(path: path, header: ["Account", "Address"])
        try report.add(RejectLine(row: 3, line: 4, kind: .reject, reason: .invalidSSN, field: "socialsecuritynumber",
                                  message: "SSN \"666-12-3456\": area 666", callsMade: [], values: ["R1", "12 MAIN ST, APT 4"], rawText: nil))
        try report.finish()
        let text = try readGzipFile(path)
        #expect(text.hasPrefix(RejectReport.metadataColumns.joined(separator: ",") + ",Account,Address\r\n"))
        #expect(text.contains("3,4,reject,INVALID_SSN,socialsecuritynumber,\"SSN \"\"666-12-3456\"\": area 666\",,,R1,\"12 MAIN ST, APT 4\"\r\n"))
    }
}
