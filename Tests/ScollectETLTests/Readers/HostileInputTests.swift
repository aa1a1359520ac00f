import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// Hostile and broken files: each gets a clear error naming the file, row and column, the rest
/// of the file goes on where it can, and nothing crashes.
struct HostileInputTests {
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = try makeTemporaryDirectory("hostile") + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func readAll(_ path: String) throws -> (records: [[String]], malformed: [(row: Int, message: String)]) {
        let reader = try CSVReader(path: path)
        var records: [[String]] = [], malformed: [(Int, String)] = []
        while let result = try reader.next() {
            switch result {
            case let .record(record): records.append(record.values)
            case let .malformed(row, _, message, _): malformed.append((row, message))
            }
        }
        return (records, malformed)
    }

    @Test func aTenMegabyteFieldIsOneRejectedRowAndTheFileGoesOn() throws {
        var bytes = Array("Account Number,Notes\nR1,short\nR2,".utf8)
        bytes += Array(repeating: UInt8(ascii: "x"), count: 10 << 20)
        bytes += Array("\nR3,after\n".utf8)
        let read = try readAll(try write(bytes, "big.csv"))
        #expect(read.records == [["R1", "short"], ["R3", "after"]])
        #expect(read.malformed.count == 1)
        #expect(read.malformed.first?.row == 2)
    }

    @Test func aNULByteRejectsItsRowNamingTheColumn() throws {
        let bytes = Array("Account Number,Last Name\nR1,SMITH\nR2,JO".utf8) + [0] + Array("NES\nR3,OK\n".utf8)
        let read = try readAll(try write(bytes, "nul.csv"))
        #expect(read.records == [["R1", "SMITH"], ["R3", "OK"]])
        #expect(read.malformed.map(\.message) == ["NUL byte in field 2 (\"Last Name\")"])
    }

    @Test func aTruncatedGzipIsAnErrorNamingTheFile() throws {
        let plain = try write(Array(String(repeating: "R1,SMITH,some text to compress\n", count: 5000).utf8), "t.csv")
        let gz = plain + ".gz"
        let writer = try GzipFileWriter(path: gz)
        try writer.write("Account Number,Last Name,Notes\n" + String(repeating: "R1,SMITH,some text to compress\n", count: 5000))
        try writer.finish()
        let data = try Data(contentsOf: URL(fileURLWithPath: gz))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: gz))
        let error = #expect(throws: ReaderError.self) { _ = try readAll(gz) }
        #expect(error?.description.contains("t.csv.gz") == true)
        #expect(error?.description.contains("truncated") == true)
    }

    @Test func duplicateHeadersAreRefusedNamingTheColumns() throws {
        let error = #expect(throws: ReaderError.self) { _ = try CSVReader(path: try write(Array("SSN,Name,SSN\n1,2,3\n".utf8), "dup.csv")) }
        #expect(error?.description.contains("\"SSN\" appears more than once (columns 1, 3)") == true)
    }

    @Test func theRunnerNamesFileRowAndColumnInTheReject() throws {
        let folder = try makeTemporaryDirectory("hostile")
        let input = folder + "/in.csv"
        try "Account Number,SSN\nR3001,000-12-3456\n".write(toFile: input, atomically: true, encoding: .utf8)
        let config = try PipelineLoader.parse("""
            source: { file: \(input) }
            mapping: { filenumber: Account Number, socialsecuritynumber: SSN }
            normalize: { socialsecuritynumber: ssn }
            writers: [updatedbase]
            target: { url: sandbox, requests_per_second: 100 }
            reports: { folder: \(folder)/reports }
            """, file: folder + "/p.yml")
        let mapper = try RowMapper(config: config, header: ["Account Number", "SSN"], inputFile: input)
        guard case let .rejected(issues, _) = mapper.map(SourceRecord(row: 1, line: 2, values: ["R3001", "000-12-3456"])) else {
            Issue.record("an impossible SSN went through")
            return
        }
        #expect(issues[0].field == "socialsecuritynumber")
        #expect(issues[0].message.contains("SSN \"000-12-3456\""), "names the column and the value: \(issues[0].message)")
    }
}
