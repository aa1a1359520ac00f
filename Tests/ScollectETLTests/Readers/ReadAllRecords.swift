import CZlib
import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// Everything a reader hands out, for the reader tests: the header, the records as header name
/// → value with their row and line, and the malformed rows.
struct ReadBack {
    var header: [String] = []
    var notices: [String] = []
    /// Each record as header name → value.
    var records: [[String: String]] = []
    var rows: [(row: Int, line: Int)] = []
    var malformed: [(row: Int, line: Int, message: String, rawText: String)] = []
}

/// Reads to the end, checking that each record has a value per header column and that the
/// reader stays ended.
func readAll(_ reader: any RecordReader) throws -> ReadBack {
    var result = ReadBack(header: reader.header, notices: reader.notices)
    while let item = try reader.next() {
        switch item {
        case .record(let record):
            #expect(record.count == reader.header.count)
            var fields: [String: String] = [:]
            for (index, name) in reader.header.enumerated() { fields[name] = record.value(at: index) }
            result.records.append(fields)
            result.rows.append((record.row, record.line))
        case let .malformed(row, line, message, rawText):
            result.malformed.append((row, line, message, rawText))
        }
    }
    #expect(try reader.next() == nil)
    return result
}

/// `bytes` in a new temporary file, gzip-compressed when asked.
func temporaryReaderFile(_ name: String, _ bytes: [UInt8], gzip: Bool = false) throws -> String {
    let path = try makeTemporaryDirectory("reader") + "/" + name
    if gzip {
        let file = try #require(gzopen(path, "wb"))
        _ = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        gzclose(file)
    } else {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
    return path
}
