import CZlib
import Foundation
import ScollectSandbox
import Testing
@testable import ScollectETL

// MARK: - Helpers (private to this file)

/// A reader result reduced to comparable values.
private enum Row: Equatable, CustomStringConvertible {
    case record(row: Int, line: Int, values: [String])
    case malformed(row: Int, line: Int, message: String, raw: String)

    var row: Int {
        switch self {
        case let .record(row, _, _), let .malformed(row, _, _, _): return row
        }
    }
    var isRecord: Bool { if case .record = self { return true } else { return false } }
    var values: [String]? { if case let .record(_, _, values) = self { return values } else { return nil } }
    var message: String? { if case let .malformed(_, _, message, _) = self { return message } else { return nil } }

    var description: String {
        switch self {
        case let .record(row, line, values): return "record(row \(row), line \(line), \(values))"
        case let .malformed(row, line, message, raw): return "malformed(row \(row), line \(line), \(message), raw \(raw.debugDescription))"
        }
    }
}

private final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("csvreader-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ bytes: [UInt8], name: String = "input.csv") throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
    func write(_ text: String, name: String = "input.csv") throws -> String {
        try write(Array(text.utf8), name: name)
    }
    func writeGzip(_ bytes: [UInt8], name: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        let file = try #require(gzopen(path, "wb"))
        let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        #expect(Int(written) == bytes.count)
        #expect(gzclose(file) == Z_OK)
        return path
    }
}

private func rows(of reader: CSVReader) throws -> [Row] {
    var result: [Row] = []
    while let item = try reader.next() {
        switch item {
        case .record(let record):
            result.append(.record(row: record.row, line: record.line, values: record.values))
        case let .malformed(row, line, message, rawText):
            result.append(.malformed(row: row, line: line, message: message, raw: rawText))
        }
    }
    // Stays at the end.
    #expect(try reader.next() == nil)
    return result
}

/// Header and rows of a file, read with the public initializer. Declared UTF-8: these tests are
/// about how invalid bytes are reported, not about guessing Windows-1252 (TextDecodingTests).
private func read(_ path: String, delimiter: UInt8 = UInt8(ascii: ","), maxRecordBytes: Int = 1 << 20) throws -> (header: [String], rows: [Row]) {
    let reader = try CSVReader(path: path, delimiter: delimiter, encoding: .utf8, maxRecordBytes: maxRecordBytes)
    return (reader.header, try rows(of: reader))
}

/// Same, with a tiny read size so chunk boundaries fall everywhere.
private func read(_ path: String, chunkSize: Int, delimiter: UInt8 = UInt8(ascii: ","), maxRecordBytes: Int = 1 << 20) throws -> (header: [String], rows: [Row]) {
    let reader = try CSVReader(source: try openByteSource(path: path), path: path, delimiter: delimiter,
                               maxRecordBytes: maxRecordBytes, chunkSize: chunkSize)
    return (reader.header, try rows(of: reader))
}

/// Reads with the default chunk size and with several tiny ones; all must agree.
private func readEverywhere(_ path: String, delimiter: UInt8 = UInt8(ascii: ","), maxRecordBytes: Int = 1 << 20) throws -> (header: [String], rows: [Row]) {
    let reference = try read(path, delimiter: delimiter, maxRecordBytes: maxRecordBytes)
    for chunkSize in [1, 2, 3, 5, 8, 13] {
        let other = try read(path, chunkSize: chunkSize, delimiter: delimiter, maxRecordBytes: maxRecordBytes)
        #expect(other.header == reference.header, "chunk size \(chunkSize)")
        #expect(other.rows == reference.rows, "chunk size \(chunkSize)")
    }
    return reference
}

private func csvQuote(_ value: String) -> String {
    "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

// MARK: - RFC 4180

@Suite("CSVReader")
struct CSVReaderTests {
    @Test func readsHeaderAndRowsWithRowAndLineNumbers() throws {
        let dir = try TempDir()
        let path = try dir.write("id,name,balance\n1,Ann,10.00\n2,Bob,20.50\n")
        let (header, rows) = try readEverywhere(path)
        #expect(header == ["id", "name", "balance"])
        #expect(rows == [
            .record(row: 1, line: 2, values: ["1", "Ann", "10.00"]),
            .record(row: 2, line: 3, values: ["2", "Bob", "20.50"]),
        ])
    }

    @Test func recordGivesFieldsWithoutStrings() throws {
        let dir = try TempDir()
        let path = try dir.write("a,b,c\nxy,,\"q\"\"z\"\n")
        let reader = try CSVReader(path: path)
        guard case .record(let record)? = try reader.next() else { Issue.record("expected a record"); return }
        #expect(record.count == 3)
        #expect(record.byteCount(at: 0) == 2)
        #expect(record.byteCount(at: 1) == 0)
        #expect(record.value(at: 2) == "q\"z")
        #expect(record.value(at: 3) == "")
    }

    @Test func quotedFieldsWithDelimitersQuotesAndNewlines() throws {
        let dir = try TempDir()
        let text = "id,name,address\n"
            + "1,\"Smith, John\",\"12 Main St\nApt 4\"\n"
            + "2,\"He said \"\"hi\"\"\",\"a\r\nb\"\n"
            + "3,\"\"\"\",\"cr\rinside\"\n"
            + "4,plain,\"\"\n"
        let path = try dir.write(text)
        let (_, rows) = try readEverywhere(path)
        #expect(rows == [
            .record(row: 1, line: 2, values: ["1", "Smith, John", "12 Main St\nApt 4"]),
            .record(row: 2, line: 4, values: ["2", "He said \"hi\"", "a\r\nb"]),
            .record(row: 3, line: 6, values: ["3", "\"", "cr\rinside"]),
            .record(row: 4, line: 8, values: ["4", "plain", ""]),
        ])
    }

    @Test(arguments: ["\n", "\r\n", "\r"])
    func lineEndings(_ newline: String) throws {
        let dir = try TempDir()
        let text = ["h1,h2", "a,b", "\"multi\(newline)line\",c", "d,e"].joined(separator: newline) + newline
        let path = try dir.write(text)
        let (header, rows) = try readEverywhere(path)
        #expect(header == ["h1", "h2"])
        #expect(rows == [
            .record(row: 1, line: 2, values: ["a", "b"]),
            .record(row: 2, line: 3, values: ["multi\(newline)line", "c"]),
            .record(row: 3, line: 5, values: ["d", "e"]),
        ])
    }

    @Test func mixedLineEndings() throws {
        let dir = try TempDir()
        let path = try dir.write("h1,h2\r\na,b\nc,d\re,f\r\n")
        let (_, rows) = try readEverywhere(path)
        #expect(rows == [
            .record(row: 1, line: 2, values: ["a", "b"]),
            .record(row: 2, line: 3, values: ["c", "d"]),
            .record(row: 3, line: 4, values: ["e", "f"]),
        ])
    }

    @Test func byteOrderMarkIsStrippedAndHeaderNamesTrimmed() throws {
        let dir = try TempDir()
        let withBOM = try dir.write([0xEF, 0xBB, 0xBF] + Array(" id ,\tname,\" quoted \"\n1,x,y\n".utf8), name: "bom.csv")
        let withoutBOM = try dir.write(" id ,\tname,\" quoted \"\n1,x,y\n", name: "plain.csv")
        for path in [withBOM, withoutBOM] {
            let (header, rows) = try readEverywhere(path)
            #expect(header == ["id", "name", "quoted"])
            #expect(rows == [.record(row: 1, line: 2, values: ["1", "x", "y"])])
        }
    }

    @Test func lastRecordWithoutNewline() throws {
        let dir = try TempDir()
        let cases: [(String, [String])] = [
            ("a,b\n1,2", ["1", "2"]),
            ("a,b\n1,", ["1", ""]),
            ("a,b\n1,\"x\"", ["1", "x"]),
            ("a,b\n1,\"x\"  ", ["1", "x"]),
            ("a,b\n1,\"\"", ["1", ""]),
            ("a,b\n1, ", ["1", " "]),
        ]
        for (index, (text, values)) in cases.enumerated() {
            let path = try dir.write(text, name: "case\(index).csv")
            let (_, rows) = try readEverywhere(path)
            #expect(rows == [.record(row: 1, line: 2, values: values)], "\(text.debugDescription)")
        }
    }

    @Test func emptyFieldsAndEmptyQuotedFields() throws {
        let dir = try TempDir()
        let path = try dir.write("a,b,c,d\n,,,\n\"\",\"\",\"\",\"\"\n,\"\",x,\n")
        let (_, rows) = try readEverywhere(path)
        #expect(rows.map(\.values) == [["", "", "", ""], ["", "", "", ""], ["", "", "x", ""]])
    }

    @Test func blanksAroundQuotedFieldsAreDroppedButKeptInUnquotedOnes() throws {
        let dir = try TempDir()
        let path = try dir.write("a,b,c\n  \"x, y\"  , \tz ,\t\"q\"\t\n")
        let (_, rows) = try readEverywhere(path)
        #expect(rows.map(\.values) == [["x, y", " \tz ", "q"]])
    }

    @Test func headerOnlyFile() throws {
        let dir = try TempDir()
        for (index, text) in ["id,name\n", "id,name", "id,name\r\n\r\n"].enumerated() {
            let path = try dir.write(text, name: "h\(index).csv")
            let (header, rows) = try readEverywhere(path)
            #expect(header == ["id", "name"])
            #expect(rows.isEmpty)
        }
    }

    @Test func emptyFile() throws {
        let dir = try TempDir()
        for (index, bytes) in [[], [0xEF, 0xBB, 0xBF], Array("\n\n".utf8)].enumerated() {
            let path = try dir.write(bytes, name: "e\(index).csv")
            let (header, rows) = try readEverywhere(path)
            #expect(header.isEmpty)
            #expect(rows.isEmpty)
        }
    }

    @Test func blankLinesAreSkippedButCounted() throws {
        let dir = try TempDir()
        let path = try dir.write("a,b\n\n1,2\r\n\r\n\r\n3,4\r\r5,6\n\n")
        let (_, rows) = try readEverywhere(path)
        #expect(rows == [
            .record(row: 1, line: 3, values: ["1", "2"]),
            .record(row: 2, line: 6, values: ["3", "4"]),
            .record(row: 3, line: 8, values: ["5", "6"]),
        ])
    }

    @Test func semicolonDelimiter() throws {
        let dir = try TempDir()
        let path = try dir.write("id;name;amount\n1;\"Doe; Jane\";1,50\n2;Roe, Rick;2,00\n")
        let (header, rows) = try readEverywhere(path, delimiter: UInt8(ascii: ";"))
        #expect(header == ["id", "name", "amount"])
        #expect(rows.map(\.values) == [["1", "Doe; Jane", "1,50"], ["2", "Roe, Rick", "2,00"]])
    }

    @Test func tabDelimiter() throws {
        let dir = try TempDir()
        // With tab as the delimiter, only spaces are blanks around quoted fields.
        let path = try dir.write("id\tname\tnote\n1\t \"a\tb\" \t\n2\tx,y\t\"\"\n")
        let (header, rows) = try readEverywhere(path, delimiter: UInt8(ascii: "\t"))
        #expect(header == ["id", "name", "note"])
        #expect(rows.map(\.values) == [["1", "a\tb", ""], ["2", "x,y", ""]])
    }

    @Test func unicodeContent() throws {
        let dir = try TempDir()
        let path = try dir.write("name,city\nJosé Müller,Zürich\n\"Zoë, 😀\",東京\n")
        let (_, rows) = try readEverywhere(path)
        #expect(rows.map(\.values) == [["José Müller", "Zürich"], ["Zoë, 😀", "東京"]])
    }

    // MARK: - Malformed rows

    @Test func quoteInsideUnquotedField() throws {
        let dir = try TempDir()
        let path = try dir.write("a,b,c\n1,2,3\n4,ab\"c,6\n7,8,9\n")
        let (_, rows) = try readEverywhere(path)
        #expect(rows == [
            .record(row: 1, line: 2, values: ["1", "2", "3"]),
            .malformed(row: 2, line: 3, message: "quote inside an unquoted field (field 2)", raw: "4,ab\"c,6"),
            .record(row: 3, line: 4, values: ["7", "8", "9"]),
        ])
    }

    @Test func textAfterClosingQuote() throws {
        let dir = try TempDir()
        let path = try dir.write("a,b,c\n1,\"abc\"x,3\r\n4,\"ok\" ,6\r\n7,\"a\" \"b\",9\r\n10,11,12\r\n")
        let (_, rows) = try readEverywhere(path)
        #expect(rows == [
            .malformed(row: 1, line: 2, message: "text after the closing quote of a quoted field (field 2)", raw: "1,\"abc\"x,3"),
            .record(row: 2, line: 3, values: ["4", "ok", "6"]),
            .malformed(row: 3, line: 4, message: "text after the closing quote of a quoted field (field 2)", raw: "7,\"a\" \"b\",9"),
            .record(row: 4, line: 5, values: ["10", "11", "12"]),
        ])
    }

    @Test func fieldCountDifferentFromHeader() throws {
        let dir = try TempDir()
        let names = (1...30).map { "c\($0)" }
        let good = (1...30).map { "v\($0)" }.joined(separator: ",")
        let tooMany = (1...31).map { "v\($0)" }.joined(separator: ",")
        let tooFew = "x,y"
        let path = try dir.write(names.joined(separator: ",") + "\n" + [good, tooMany, good, tooFew, " "].joined(separator: "\n") + "\n")
        let (_, rows) = try readEverywhere(path)
        #expect(rows.count == 5)
        #expect(rows[0].isRecord && rows[2].isRecord)
        #expect(rows[1] == .malformed(row: 2, line: 3, message: "expected 30 fields, found 31", raw: tooMany))
        #expect(rows[3] == .malformed(row: 4, line: 5, message: "expected 30 fields, found 2", raw: tooFew))
        #expect(rows[4] == .malformed(row: 5, line: 6, message: "expected 30 fields, found 1", raw: " "))
    }

    @Test func multiLineRecordWithWrongFieldCountIsOneMalformedRow() throws {
        let dir = try TempDir()
        let path = try dir.write("a,b\n1,\"x\ny\",extra\n2,z\n")
        let (_, rows) = try readEverywhere(path)
        #expect(rows == [
            .malformed(row: 1, line: 2, message: "expected 2 fields, found 3", raw: "1,\"x\ny\",extra"),
            .record(row: 2, line: 4, values: ["2", "z"]),
        ])
    }

    @Test func invalidUTF8NamesTheFileOffset() throws {
        let dir = try TempDir()
        let prefix = Array("id,name\n1,ok\n2,ab".utf8)
        var bytes = prefix + [0xFF] + Array("c\n3,x\n".utf8)
        let path = try dir.write(bytes, name: "ff.csv")
        var (_, rows) = try readEverywhere(path)
        #expect(rows == [
            .record(row: 1, line: 2, values: ["1", "ok"]),
            .malformed(row: 2, line: 3, message: "invalid UTF-8 at byte offset \(prefix.count)", raw: "2,ab\u{FFFD}c"),
            .record(row: 3, line: 4, values: ["3", "x"]),
        ])

        // With a BOM (it counts), and for other bad sequences: a truncated sequence, an overlong
        // encoding, a surrogate, a lead byte split from its continuation by a delimiter.
        let bad: [[UInt8]] = [[0xC3], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xC3, 0x2C, 0xA9], [0xF4, 0x90, 0x80, 0x80]]
        for (index, sequence) in bad.enumerated() {
            let start = [0xEF, 0xBB, 0xBF] + Array("id,name\n1,é😀\n2,\"q".utf8)
            bytes = start + sequence + Array("\"\n3,x\n".utf8)
            let path = try dir.write(bytes, name: "bad\(index).csv")
            (_, rows) = try readEverywhere(path)
            #expect(rows.count == 3)
            #expect(rows[0].values == ["1", "é😀"])
            #expect(rows[1].row == 2)
            #expect(rows[1].message == "invalid UTF-8 at byte offset \(start.count)", "sequence \(sequence)")
            #expect(rows[2] == .record(row: 3, line: 4, values: ["3", "x"]))
        }
    }

    @Test func invalidUTF8AcrossADelimiterIsCaught() throws {
        // C3 and A9 would make "é" if the delimiter between them were dropped.
        let dir = try TempDir()
        let prefix = Array("a,b\n".utf8)
        let path = try dir.write(prefix + [0xC3, 0x2C, 0xA9] + Array("\n".utf8))
        let (_, rows) = try readEverywhere(path)
        #expect(rows.map(\.message) == ["invalid UTF-8 at byte offset \(prefix.count)"])
    }

    @Test func recordLongerThanMaxRecordBytes() throws {
        let dir = try TempDir()
        let long = "2," + String(repeating: "x", count: 80)
        let path = try dir.write("a,b\n1,short\n\(long)\n3,ok\n4,\"quoted\"\n")
        // Chunk sizes 1...13 also cover the case where the long line's end is not yet read.
        let (_, rows) = try readEverywhere(path, maxRecordBytes: 50)
        #expect(rows == [
            .record(row: 1, line: 2, values: ["1", "short"]),
            .malformed(row: 2, line: 3, message: "record longer than 50 bytes", raw: String(long.prefix(50))),
            .record(row: 3, line: 4, values: ["3", "ok"]),
            .record(row: 4, line: 5, values: ["4", "quoted"]),
        ])
        // Exactly maxRecordBytes is fine.
        let exact = "5," + String(repeating: "y", count: 48)
        let path2 = try dir.write("a,b\n\(exact)\r\n6,z", name: "exact.csv")
        let (_, rows2) = try readEverywhere(path2, maxRecordBytes: 50)
        #expect(rows2.map(\.values) == [["5", String(repeating: "y", count: 48)], ["6", "z"]])
    }

    @Test func longMultiLineRecordCostsOnlyItsFirstLine() throws {
        // A quoted field spanning lines grows past maxRecordBytes: only its first line is lost,
        // the following lines are parsed again as rows.
        let dir = try TempDir()
        var text = "a,b\n1,\"open\n"
        for row in 2...10 { text += "\(row),line\(row)\n" }
        let path = try dir.write(text)
        let (_, rows) = try readEverywhere(path, maxRecordBytes: 40)
        #expect(rows.first == .malformed(row: 1, line: 2, message: "record longer than 40 bytes", raw: "1,\"open"))
        #expect(rows.dropFirst().map(\.values) == (2...10).map { ["\($0)", "line\($0)"] })
        #expect(rows.map(\.row) == Array(1...10))
    }

    @Test func quotedFieldOpenAtEndOfFile() throws {
        let dir = try TempDir()
        let path = try dir.write("a,b\n1,2\n3,\"never closed")
        let (_, rows) = try readEverywhere(path)
        #expect(rows == [
            .record(row: 1, line: 2, values: ["1", "2"]),
            .malformed(row: 2, line: 3, message: "quoted field still open at end of file", raw: "3,\"never closed"),
        ])
    }

    // MARK: - A stray quote costs one row

    private func twentyRows(strayOnRow stray: Int, quotedLater: Bool, newline: String = "\n") -> String {
        var lines = ["id,name,note"]
        for row in 1...20 {
            if row == stray {
                lines.append("\(row),\"Smith,note\(row)")
            } else if quotedLater && row % 3 == 0 {
                lines.append("\(row),\"Doe, Jane \(row)\",\"say \"\"hi\"\"\"")
            } else {
                lines.append("\(row),name\(row),note\(row)")
            }
        }
        return lines.joined(separator: newline) + newline
    }

    @Test(arguments: [(false, "\n"), (true, "\n"), (false, "\r\n"), (true, "\r\n"), (true, "\r")])
    func strayOpeningQuoteOnRow5CostsOnlyRow5(quotedLater: Bool, newline: String) throws {
        let dir = try TempDir()
        let path = try dir.write(twentyRows(strayOnRow: 5, quotedLater: quotedLater, newline: newline))
        let (header, rows) = try readEverywhere(path)
        #expect(header == ["id", "name", "note"])
        #expect(rows.count == 20)
        #expect(rows.map(\.row) == Array(1...20))
        for (index, row) in rows.enumerated() {
            let number = index + 1
            if number == 5 {
                guard case let .malformed(_, line, _, raw) = row else { Issue.record("row 5 should be malformed: \(row)"); continue }
                #expect(line == 6)
                #expect(raw == "5,\"Smith,note5")
            } else {
                guard case let .record(_, line, values) = row else { Issue.record("row \(number) should be a record: \(row)"); continue }
                #expect(line == number + 1)
                #expect(values[0] == "\(number)")
                if quotedLater && number % 3 == 0 {
                    #expect(values == ["\(number)", "Doe, Jane \(number)", "say \"hi\""])
                }
            }
        }
        let message = rows[4].message ?? ""
        #expect(message == (quotedLater
            ? "unbalanced quote in field 2: the quoted text runs over a line break and its closing quote is followed by text"
            : "quoted field still open at end of file"))
    }

    @Test func strayQuoteInABigFileRunsIntoMaxRecordBytesAndCostsOneRow() throws {
        let dir = try TempDir()
        var text = "id,name,note\n"
        for row in 1...5000 {
            text += row == 5 ? "5,\"Smith,note5\n" : "\(row),name\(row),note\(row)\n"
        }
        let path = try dir.write(text)
        let reader = try CSVReader(path: path, maxRecordBytes: 4096)
        let rows = try rows(of: reader)
        #expect(rows.count == 5000)
        #expect(rows.map(\.row) == Array(1...5000))
        #expect(rows[4] == .malformed(row: 5, line: 6, message: "record longer than 4096 bytes", raw: "5,\"Smith,note5"))
        #expect(rows.filter(\.isRecord).count == 4999)
        #expect(rows[5] == .record(row: 6, line: 7, values: ["6", "name6", "note6"]))
    }

    @Test func everyRowComesOutExactlyOnce() throws {
        let dir = try TempDir()
        var text = "id,name,amount\r\n"
        var expectedMalformed: Set<Int> = []
        for row in 1...200 {
            switch row % 17 {
            case 3: text += "\(row),ab\"c,1.00\r\n"; expectedMalformed.insert(row)
            case 5: text += "\(row),\"abc\"x,1.00\r\n"; expectedMalformed.insert(row)
            case 7: text += "\(row),a,b,c\r\n"; expectedMalformed.insert(row)
            case 9: text += "\(row),\"multi\r\nline, ok\",2.00\r\n"
            case 11: text += "\(row),bad\u{FFFF}" + "\r\n"
                expectedMalformed.insert(row)
            case 13: text += "\r\n\(row),\"\",\r\n"
            default: text += "\(row),name \(row),\(row).00\r\n"
            }
        }
        var bytes = Array(text.utf8)
        // Make the row-11 kind invalid UTF-8: replace the encoding of U+FFFF (EF BF BF) with FF FF FF.
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == 0xEF && bytes[index + 1] == 0xBF && bytes[index + 2] == 0xBF {
                bytes[index] = 0xFF; bytes[index + 1] = 0xFF; bytes[index + 2] = 0xFF
            }
            index += 1
        }
        let path = try dir.write(bytes)
        let (_, rows) = try readEverywhere(path)
        #expect(rows.count == 200)
        #expect(rows.map(\.row) == Array(1...200))
        #expect(Set(rows.filter { !$0.isRecord }.map(\.row)) == expectedMalformed)
        for row in rows where row.isRecord {
            #expect(row.values?.first == "\(row.row)")
        }
    }

    // MARK: - Header problems

    @Test func duplicateHeaderNamesThrow() throws {
        let dir = try TempDir()
        let path = try dir.write("id,name, id ,amount,name\n1,2,3,4,5\n")
        #expect(throws: ReaderError.duplicateHeader(path: path, name: "id", columns: [1, 3])) {
            _ = try CSVReader(path: path)
        }
    }

    @Test func blankHeaderNamesAreNotDuplicates() throws {
        let dir = try TempDir()
        let path = try dir.write("id,,name,\n1,2,3,4\n")
        let (header, rows) = try read(path)
        #expect(header == ["id", "", "name", ""])
        #expect(rows.count == 1)
    }

    @Test func malformedHeaderThrows() throws {
        let dir = try TempDir()
        let path = try dir.write("id,\"name\nno,close\n")
        #expect(throws: ReaderError.ioError(path: path, reason: "header row: quoted field still open at end of file")) {
            _ = try CSVReader(path: path)
        }
    }

    @Test func missingFileCannotBeOpened() throws {
        let dir = try TempDir()
        let path = dir.url.appendingPathComponent("missing.csv").path
        do {
            _ = try CSVReader(path: path)
            Issue.record("expected an error")
        } catch let ReaderError.cannotOpen(errorPath, _) {
            #expect(errorPath == path)
        }
    }

    // MARK: - Gzip

    @Test func gzipInputReadsLikePlainInput() throws {
        let dir = try TempDir()
        var text = "id,name,note\r\n"
        for row in 1...3000 {
            text += "\(row),\"Name, \(row)\",\"line one\nline two\"\r\n"
        }
        text += "3001,bad\"quote,x\r\n3002,last,row"
        let plain = try dir.write(text)
        let gzipped = try dir.writeGzip(Array(text.utf8), name: "input.csv.gz")
        let disguised = try dir.writeGzip(Array(text.utf8), name: "gzip-content.csv")
        let expected = try read(plain)
        #expect(expected.rows.count == 3002)
        for path in [gzipped, disguised] {
            let got = try read(path)
            #expect(got.header == expected.header)
            #expect(got.rows == expected.rows)
        }
        let small = try read(gzipped, chunkSize: 7)
        #expect(small.rows == expected.rows)
    }

    @Test func truncatedGzipThrowsIOErrorNamingTheFile() throws {
        let dir = try TempDir()
        var text = "id,value\n"
        var rng = SystemRandomNumberGenerator()
        for row in 1...20000 { text += "\(row),\(UInt64.random(in: 0...UInt64.max, using: &rng))\n" }
        let full = try dir.writeGzip(Array(text.utf8), name: "full.csv.gz")
        let compressed = try Array(Data(contentsOf: URL(fileURLWithPath: full)))
        let path = try dir.write(Array(compressed.prefix(compressed.count / 2)), name: "truncated.csv.gz")
        var records = 0
        do {
            let reader = try CSVReader(path: path)
            while let item = try reader.next() {
                if case .record = item { records += 1 }
            }
            Issue.record("expected a read error after \(records) records")
        } catch let ReaderError.ioError(errorPath, reason) {
            #expect(errorPath == path)
            #expect(reason.contains("truncated"))
            #expect(records > 0 && records < 20000)
            #expect(ReaderError.ioError(path: errorPath, reason: reason).description.hasPrefix(path))
        }
    }

    // MARK: - Chunk boundaries and random input

    @Test func randomRecordsRoundTripAtAnyChunkSize() throws {
        var rng = SplitMix64(seed: 20240611)
        let alphabet: [String] = ["a", "b", "Z", "0", " ", "\t", ",", "\"", "\n", "\r", "\r\n", "é", "😀", ";", "x"]
        let dir = try TempDir()
        /// Line breaks in a value (CRLF counts once).
        func lineBreaks(_ value: String) -> Int {
            var count = 0
            var previous: Unicode.Scalar = "x"
            for scalar in value.unicodeScalars {
                if scalar == "\r" || (scalar == "\n" && previous != "\r") { count += 1 }
                previous = scalar
            }
            return count
        }
        for round in 0..<150 {
            let columns = Int.random(in: 1...6, using: &rng)
            let newline = ["\n", "\r\n", "\r"].randomElement(using: &rng)!
            let delimiter = [",", ";", "\t"].randomElement(using: &rng)!
            let header = (0..<columns).map { "col\($0)" }
            var expected: [Row] = []
            var text = header.joined(separator: delimiter) + newline
            var line = 2
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                if Int.random(in: 0..<10, using: &rng) == 0 {
                    text += newline  // an empty line
                    line += 1
                }
                var values: [String] = []
                for _ in 0..<columns {
                    let length = Int.random(in: 0...8, using: &rng)
                    values.append((0..<length).map { _ in alphabet.randomElement(using: &rng)! }.joined())
                }
                if values == [""] { continue }  // would be an empty line
                expected.append(.record(row: expected.count + 1, line: line, values: values))
                line += 1 + values.map(lineBreaks).reduce(0, +)
                let special = ("\"\r\n" + delimiter).unicodeScalars
                let needsQuotes: (String) -> Bool = { value in
                    // Scalars, not Characters: "\r\n" is one Character.
                    value.unicodeScalars.contains { special.contains($0) }
                        || value.first == " " || value.first == "\t" || value.last == " " || value.last == "\t"
                }
                text += values.map { needsQuotes($0) || Bool.random(using: &rng) ? csvQuote($0) : $0 }.joined(separator: delimiter)
                text += newline
            }
            if Bool.random(using: &rng), !expected.isEmpty, text.hasSuffix(newline) {
                // No line break after the last record ("\r\n" is one Character).
                text.removeLast()
            }
            let path = try dir.write(text, name: "round\(round).csv")
            let (readHeader, rows) = try readEverywhere(path, delimiter: delimiter.utf8.first!)
            #expect(readHeader == header)
            #expect(rows == expected, "round \(round)")
        }
    }
}
