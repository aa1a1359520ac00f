import CZlib
import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

private func read(_ text: String, columns: [String] = [], limits: RecordReaderLimits = .init(), chunkSize: Int = 7,
                  step: Int = .max) throws -> ReadBack {
    try read(Array(text.utf8), columns: columns, limits: limits, chunkSize: chunkSize, step: step)
}

private func read(_ bytes: [UInt8], columns: [String] = [], limits: RecordReaderLimits = .init(), chunkSize: Int = 7,
                  step: Int = .max) throws -> ReadBack {
    try readAll(JSONRecordReader(source: MemoryByteSource(bytes, step: step), path: "test.json", columns: columns, limits: limits,
                                 chunkSize: chunkSize))
}

/// The reason of the error opening and reading `text` throws.
private func failure(_ text: String, limits: RecordReaderLimits = .init()) -> String {
    do {
        _ = try read(text, limits: limits)
        return "no error"
    } catch let error as ReaderError {
        return error.description
    } catch {
        return "other error: \(error)"
    }
}


private let accounts = """
[
  {"account_number": "R1", "debtor": {"ssn": "123-45-6789", "phones": [{"number": "205-555-0101", "type": "home"}, {"number": "205-555-0102"}]},
   "balance": 1234.50, "active": true, "note": null, "quote": "a \\"b\\" \\\\ \\u00e9\\n"},
  {"account_number": "R2", "debtor": {"ssn": "987654321", "email": "x@example.com"}, "balance": -0.10, "active": false}
]
"""

@Suite("JSONRecordReader")
struct JSONRecordReaderTests {
    // MARK: - Values and header

    @Test func arrayOfObjectsFlattensToPaths() throws {
        let result = try read(accounts)
        #expect(result.header == ["account_number", "debtor.ssn", "debtor.phones.0.number", "debtor.phones.0.type",
                                  "debtor.phones.1.number", "balance", "active", "note", "quote", "debtor.email"])
        #expect(result.malformed.isEmpty)
        #expect(result.records.count == 2)
        let first = result.records[0]
        #expect(first["debtor.phones.1.number"] == "205-555-0102")
        // Numbers keep their literal text, booleans are words, null is empty, strings are unescaped.
        #expect(first["balance"] == "1234.50")
        #expect(first["active"] == "true")
        #expect(first["note"] == "")
        #expect(first["quote"] == "a \"b\" \\ é\n")
        let second = result.records[1]
        #expect(second["balance"] == "-0.10")
        #expect(second["active"] == "false")
        #expect(second["debtor.phones.0.number"] == "")
        #expect(second["debtor.email"] == "x@example.com")
        #expect(result.rows.map(\.row) == [1, 2])
        #expect(result.rows.map(\.line) == [2, 4])
    }

    @Test func ndjsonReadsOneObjectPerLine() throws {
        let text = "{\"a\": 1, \"b\": {\"c\": \"x\"}}\r\n\n{\"a\": 2}\n   {\"b\": {\"c\": \"y\"}, \"d\": [true]}\n"
        let result = try read(text)
        #expect(result.header == ["a", "b.c", "d.0"])
        #expect(result.records == [["a": "1", "b.c": "x", "d.0": ""], ["a": "2", "b.c": "", "d.0": ""], ["a": "", "b.c": "y", "d.0": "true"]])
        #expect(result.rows.map(\.row) == [1, 2, 3])
        #expect(result.rows.map(\.line) == [1, 3, 4])
    }

    @Test func mappingColumnNamingAListGetsItsCompactJSON() throws {
        let text = """
        [{"id": "R1", "schedule": [ {"due": "2026-01-01", "amount": 50.00, "memo": "a\\"b\\n"}, {"due": "2026-02-01", "amount": 50, "paid": null} ],
          "debtor": {"name": "X", "tags": []}}]
        """
        let result = try read(text, columns: ["id", "schedule", "debtor", "debtor.tags", "schedule.1", "missing.path"])
        #expect(result.header.suffix(4) == ["schedule", "debtor", "debtor.tags", "schedule.1"])
        #expect(!result.header.contains("missing.path"))
        let record = try #require(result.records.first)
        #expect(record["schedule"] == #"[{"due":"2026-01-01","amount":50.00,"memo":"a\"b\n"},{"due":"2026-02-01","amount":50,"paid":null}]"#)
        #expect(record["schedule.1"] == #"{"due":"2026-02-01","amount":50,"paid":null}"#)
        #expect(record["debtor"] == #"{"name":"X","tags":[]}"#)
        #expect(record["debtor.tags"] == "[]")
        #expect(record["schedule.0.amount"] == "50.00")
    }

    @Test func aColumnNeverSeenIsLeftOutSoTheMapperReportsIt() throws {
        let result = try read(#"[{"debtor": {"ssn": "1"}}]"#, columns: ["debtor.ssn", "debtor.snn"])
        #expect(result.header == ["debtor.ssn"])
    }

    @Test func pathsFirstSeenAfterTheHeaderScanAreIgnored() throws {
        var limits = RecordReaderLimits()
        limits.headerScanRecords = 2
        let result = try read("{\"a\":1}\n{\"a\":2}\n{\"a\":3,\"late\":4}\n", limits: limits)
        #expect(result.header == ["a"])
        #expect(result.records.map { $0["a"] } == ["1", "2", "3"])
    }

    @Test func repeatedKeyKeepsTheLastValue() throws {
        #expect(try read(#"[{"a": 1, "a": 2}]"#).records == [["a": "2"]])
    }

    @Test(arguments: ["", "   \n ", "[]", " [ ] \n"])
    func emptyInputHasNoRecords(_ text: String) throws {
        let result = try read(text)
        #expect(result.header.isEmpty)
        #expect(result.records.isEmpty && result.malformed.isEmpty)
    }

    @Test func chunkBoundariesChangeNothing() throws {
        let whole = try read(accounts, chunkSize: 64 * 1024)
        for chunk in [1, 2, 3, 5, 13] {
            let pieces = try read(accounts, chunkSize: chunk, step: 1)
            #expect(pieces.header == whole.header)
            #expect(pieces.records == whole.records)
        }
    }

    // MARK: - Rejected records

    @Test func itemsThatAreNotObjectsAreRejectedAndReadingGoesOn() throws {
        let result = try read(#"[{"a": 1}, [1, [2]], "text", 3, null, {"a": 2}]"#)
        #expect(result.records == [["a": "1"], ["a": "2"]])
        #expect(result.rows.map(\.row) == [1, 6])
        #expect(result.malformed.map(\.message) == ["item 2 of the array is a list, not an object", "item 3 of the array is a string, not an object",
                                                    "item 4 of the array is a number, not an object", "item 5 of the array is null, not an object"])
        #expect(result.malformed.map(\.rawText) == ["[1, [2]]", "\"text\"", "3", "null"])
    }

    @Test func invalidUTF8RejectsTheRecordNamingTheByteOffset() throws {
        let bytes = Array("[{\"a\": \"ok\"},\n {\"a\": \"x".utf8) + [0xFF] + Array("y\"},\n {\"a\": \"fine\"}]".utf8)
        let result = try read(bytes)
        #expect(result.records == [["a": "ok"], ["a": "fine"]])
        #expect(result.malformed.count == 1)
        #expect(result.malformed[0].row == 2)
        #expect(result.malformed[0].line == 2)
        #expect(result.malformed[0].message == "invalid UTF-8 (byte 0xFF) at byte offset 23")
        #expect(result.malformed[0].rawText == "{\"a\": \"x\u{FFFD}y\"}")

        let lines = Array("{\"a\": \"\\uD800\"}\n{\"a\": \"b\"}\n".utf8)
        let fromLines = try read(lines)
        #expect(fromLines.records == [["a": "b"]])
        #expect(fromLines.malformed.map(\.message) == ["lone surrogate \\uD800 (not a Unicode character) at byte offset 7"])
    }

    @Test func ndjsonLineThatIsNotJSONIsRejectedAndTheNextLineRead() throws {
        let text = "{\"a\": 1}\n{\"a\": 2,}\n{\"a\": \"unterminated\n{\"a\": 4} trailing\n[5]\n{\"a\": 6}\n"
        let result = try read(text)
        #expect(result.records == [["a": "1"], ["a": "4"], ["a": "6"]])
        #expect(result.rows.map(\.row) == [1, 4, 7])
        #expect(result.rows.map(\.line) == [1, 4, 6])
        #expect(result.malformed.map(\.row) == [2, 3, 5, 6])
        #expect(result.malformed.map(\.line) == [2, 3, 4, 5])
        #expect(result.malformed[0].message == "not valid JSON at line 2, column 9 (byte offset 17): expected a quoted key after ',', found '}'")
        #expect(result.malformed[0].rawText == "{\"a\": 2,}")
        #expect(result.malformed[1].rawText == "{\"a\": \"unterminated")
        #expect(result.malformed[2].rawText == "trailing")
        #expect(result.malformed[3].message == "line 5 is a list, not an object")
    }

    @Test func syntaxErrorInAnArrayEndsTheFileNamingWhereItIs() throws {
        var limits = RecordReaderLimits()
        limits.headerScanRecords = 1
        let reader = try JSONRecordReader(source: MemoryByteSource(Array("[{\"a\": 1},\n {\"a\": 2},\n {\"a\" 3}]".utf8)), path: "test.json",
                                          columns: [], limits: limits, chunkSize: 4)
        guard case .record? = try reader.next(), case .record? = try reader.next() else {
            Issue.record("expected two records first")
            return
        }
        let error = try #require(throws: ReaderError.self) { try reader.next() }
        #expect(error == .ioError(path: "test.json", reason: "not valid JSON at line 3, column 7 (byte offset 28): expected ':' after an object key, found '3'"))
        #expect(failure("[{\"a\": 1}] x") == "test.json: read error: not valid JSON at line 1, column 12 (byte offset 11): 'x' after the end of the JSON value")
        #expect(failure("[{\"a\": 1}") == "test.json: read error: not valid JSON at line 1, column 10 (byte offset 9): unexpected end of input inside an array")
    }

    @Test func recordLargerThanTheLimitIsRejected() throws {
        var limits = RecordReaderLimits()
        limits.maxRecordBytes = 40
        limits.maxRawTextBytes = 20
        let big = String(repeating: "x", count: 100)
        let array = try read("[{\"a\": \"1\"}, {\"a\": \"\(big)\", \"b\": [1, 2]}, {\"a\": \"3\"}]", limits: limits)
        #expect(array.records == [["a": "1"], ["a": "3"]])
        #expect(array.malformed.map(\.message) == ["record larger than 40 bytes"])
        #expect(array.malformed.map(\.rawText) == ["{\"a\": \"xxxxxxxxxxxxx"])
        let lines = try read("{\"a\": \"1\"}\n{\"a\": \"\(big)\", \"b\": [1, 2]}\n{\"a\": \"3\"}\n", limits: limits)
        #expect(lines.records == [["a": "1"], ["a": "3"]])
        #expect(lines.malformed.map(\.row) == [2])
        // Over the limit only with its closing brace: the next line is still read.
        let x31 = String(repeating: "x", count: 31)
        let closing = try read("{\"a\": \"\(x31)\"    }\n{\"a\": \"next\"}\n", limits: limits)
        #expect(closing.records == [["a": "next"]])
        #expect(closing.malformed.map(\.row) == [1])
    }

    // MARK: - Files

    @Test func fileThatIsNeitherArrayNorNDJSONIsRefused() {
        #expect(failure("\"just a string\"") == "test.json: cannot open: not a JSON array of records nor NDJSON: the file must start with '[' or '{', not '\"' (line 1, byte offset 0)")
    }

    @Test func prettyPrintedObjectsAreRefusedWithAHint() {
        #expect(failure("{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n").contains("its first object runs over several lines"))
    }

    @Test func gzipFilesAndRegistry() throws {
        let text = Array("{\"id\": \"R1\", \"n\": 1}\n{\"id\": \"R2\", \"n\": 2}\n".utf8)
        for (name, gzip) in [("accounts.ndjson.gz", true), ("accounts.jsonl", false), ("accounts.json", false)] {
            let path = try temporaryReaderFile(name, text, gzip: gzip)
            #expect(ReaderRegistry.entry(forPath: path)?.name == "json")
            var source = PipelineConfig.Source(path: path, reader: "json")
            source.columns = ["id"]
            let result = try readAll(ReaderRegistry.open(source))
            #expect(result.records == [["id": "R1", "n": "1"], ["id": "R2", "n": "2"]])
        }
    }

    @Test func samplePlacementFileThroughItsPipeline() throws {
        let config = try PipelineLoader.load(path: repositoryPath("Pipelines/nightly-placement-json.yml"))
        let reader = try ReaderRegistry.open(config.source)
        // Every mapped column is in the header, so the mapper resolves them all.
        let mapper = try RowMapper(config: config, header: reader.header, inputFile: config.source.path)
        let result = try readAll(reader)
        // The JSON export holds 218 accounts (placement.csv has two more rows, R3026 and R3191).
        #expect(result.records.count == 218)
        #expect(result.malformed.isEmpty)
        #expect(result.records.first?["account_number"] == "R3001")
        #expect(result.records.first?["debtor.ssn"] == "598639594")
        let first = try JSONRecordReader(path: config.source.path, columns: config.source.columns)
        guard case .record(let record)? = try first.next(), case .row(let row) = mapper.map(record) else {
            Issue.record("the first account did not map")
            return
        }
        #expect(row.filenumber == "R3001")
        #expect(row["socialsecuritynumber"] == .value("598-63-9594"))
    }

    @Test func aMisspelledColumnStopsTheRunNamingTheClosestPath() throws {
        let pipeline = """
        source: { file: in.json }
        mapping: { filenumber: id, socialsecuritynumber: debtor.snn }
        writers: [updatedbase]
        target: { url: sandbox, requests_per_second: 10 }
        reports: { folder: out }
        """
        let config = try PipelineLoader.parse(pipeline, file: "p.yml")
        let reader = try JSONRecordReader(source: MemoryByteSource(Array(#"[{"id": "R1", "debtor": {"ssn": "1"}}]"#.utf8)), path: "in.json",
                                          columns: config.source.columns, chunkSize: 64)
        #expect(reader.header == ["id", "debtor.ssn"])
        let error = #expect(throws: MissingColumnError.self) { try RowMapper(config: config, header: reader.header, inputFile: "in.json") }
        #expect(error?.description.contains("no column \"debtor.snn\"") == true)
        #expect(error?.description.contains("the closest header is \"debtor.ssn\"") == true)
    }
}
