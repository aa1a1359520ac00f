import Foundation
@testable import ScollectETL
import Testing

/// Records from memory; throws after `failAfter` records when set.
private final class ListReader: RecordReader {
    let header = ["Account", "SSN"]
    let path = "list.csv"
    let results: [ReadResult]
    let failAfter: Int?
    var position = 0
    init(_ results: [ReadResult], failAfter: Int? = nil) {
        self.results = results
        self.failAfter = failAfter
    }
    func next() throws -> ReadResult? {
        if let failAfter, position == failAfter { throw ReaderError.ioError(path: path, reason: "disk gone") }
        guard position < results.count else { return nil }
        defer { position += 1 }
        return results[position]
    }
}

/// Mapping on two threads hands out every record once, in file order, mapped as `RowMapper.map`
/// maps it on one; a reader's error comes after the records read before it.
struct MappingReadAheadTests {
    static func mapper() throws -> RowMapper {
        let config = try PipelineLoader.parse("""
            source: { file: in.csv }
            mapping: { filenumber: Account, socialsecuritynumber: SSN }
            normalize: { socialsecuritynumber: ssn }
            writers: [updatedbase]
            target: { url: sandbox, requests_per_second: 10 }
            reports: { folder: out }
            """, file: "p.yml")
        return try RowMapper(config: config, header: ["Account", "SSN"], inputFile: "in.csv")
    }

    static func records(_ count: Int) -> [ReadResult] {
        (1...count).map { n in
            if n % 97 == 0 { return .malformed(row: n, line: n + 1, message: "unclosed quote", rawText: "x") }
            let ssn = n % 5 == 0 ? "666-00-0000" : String(format: "%09d", 100_000_000 + n)
            return .record(SourceRecord(row: n, line: n + 1, values: ["r\(n)", ssn]))
        }
    }

    static func describe(_ outcome: RowMapper.Outcome?) -> String {
        switch outcome {
        case nil: return "malformed"
        case let .row(row)?: return "row \(row.filenumber) \(String(describing: row["socialsecuritynumber"]))"
        case let .rejected(issues, _)?: return "rejected \(issues.map(\.message))"
        }
    }

    @Test(arguments: [1, 7, 2048, 10_000])
    func sameOrderAndOutcomesAsMappingOnOneThread(chunkSize: Int) throws {
        let mapper = try Self.mapper()
        let records = Self.records(10_000)
        let expected = records.map { read -> String in
            if case let .record(record) = read { return Self.describe(mapper.map(record)) }
            return "malformed"
        }
        let ahead = MappingReadAhead(reader: ListReader(records), mapper: mapper, chunkSize: chunkSize, ahead: 2)
        var rows: [Int] = [], got: [String] = []
        while let (read, mapped) = try ahead.next() {
            rows.append(read.row)
            got.append(Self.describe(mapped))
        }
        #expect(rows == Array(1...10_000))
        #expect(got == expected)
        #expect(try ahead.next() == nil)
    }

    @Test func aReaderErrorComesAfterTheRecordsBeforeIt() throws {
        let ahead = MappingReadAhead(reader: ListReader(Self.records(5_000), failAfter: 3_000), mapper: try Self.mapper(), chunkSize: 512)
        var count = 0
        let error = #expect(throws: ReaderError.self) {
            while try ahead.next() != nil { count += 1 }
        }
        #expect(count == 3_000)
        #expect(error == .ioError(path: "list.csv", reason: "disk gone"))
    }

    @Test func anEmptyInputEndsAtOnce() throws {
        let ahead = MappingReadAhead(reader: ListReader([]), mapper: try Self.mapper())
        #expect(try ahead.next() == nil)
    }
}
