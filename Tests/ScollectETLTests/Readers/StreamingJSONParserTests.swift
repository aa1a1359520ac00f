import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

// Fixtures: Tests/Fixtures/json/JSONTestSuite (nst/JSONTestSuite's test_parsing cases; README there).


/// `count` bytes made on the fly by `byte(at:)`, never held whole.
private final class Generated: ByteSource {
    let count: Int
    let byte: (Int) -> UInt8
    var position = 0
    init(count: Int, byte: @escaping (Int) -> UInt8) {
        self.count = count
        self.byte = byte
    }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, count - position)
        for k in 0..<n { buffer[k] = byte(position + k) }
        position += n
        return n
    }
}

private let suiteFolder = repositoryPath("Tests/Fixtures/json/JSONTestSuite")
private let suiteFiles: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: suiteFolder)) ?? [])
    .filter { $0.hasSuffix(".json") }.sorted()

/// Our answers to the suite's "implementation defined" cases (README in the fixture folder).
private let acceptedIndeterminate: Set<String> = [
    "i_number_double_huge_neg_exp.json", "i_number_huge_exp.json", "i_number_neg_int_huge_exp.json",
    "i_number_pos_double_huge_exp.json", "i_number_real_neg_overflow.json", "i_number_real_pos_overflow.json",
    "i_number_real_underflow.json", "i_number_too_big_neg_int.json", "i_number_too_big_pos_int.json",
    "i_number_very_big_negative_int.json", "i_structure_500_nested_arrays.json", "i_structure_UTF-8_BOM_empty_object.json",
]

private func events(_ text: String, framing: StreamingJSONParser.Framing = .single, step: Int = .max,
                    chunkSize: Int = 16) throws -> [String] {
    let parser = StreamingJSONParser(source: MemoryByteSource(text, step: step), framing: framing, chunkSize: chunkSize)
    var out: [String] = []
    while true {
        let event = try parser.next()
        switch event {
        case .key: out.append("key:" + String(decoding: parser.token, as: UTF8.self))
        case .string: out.append("str:" + String(decoding: parser.token, as: UTF8.self))
        case .number: out.append("num:" + String(decoding: parser.token, as: UTF8.self))
        case .end: return out
        default: out.append("\(event)")
        }
    }
}

private func syntaxError(_ text: String, framing: StreamingJSONParser.Framing = .single) -> StreamingJSONParser.SyntaxError? {
    let parser = StreamingJSONParser(source: MemoryByteSource(text), framing: framing, chunkSize: 8)
    do {
        while try parser.next() != .end {}
        return nil
    } catch let error as StreamingJSONParser.SyntaxError {
        return error
    } catch {
        return nil
    }
}

@Suite("StreamingJSONParser")
struct StreamingJSONParserTests {
    // MARK: - JSONTestSuite

    @Test func suiteIsVendored() {
        #expect(suiteFiles.filter { $0.hasPrefix("y_") }.count == 95)
        #expect(suiteFiles.filter { $0.hasPrefix("n_") }.count == 186)
        #expect(suiteFiles.filter { $0.hasPrefix("i_") }.count == 35)
    }

    /// y_ must parse, n_ must be rejected, i_ as documented; the same with reads of one byte
    /// and a 4-byte window, so every token crosses a chunk boundary.
    @Test(arguments: suiteFiles)
    func jsonTestSuiteCase(_ name: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: suiteFolder + "/" + name)))
        let expectValid: Bool
        if name.hasPrefix("y_") {
            expectValid = true
        } else if name.hasPrefix("n_") {
            expectValid = false
        } else {
            expectValid = acceptedIndeterminate.contains(name)
        }
        for (step, chunk) in [(Int.max, StreamingJSONParser.defaultChunkSize), (1, 4), (3, 1)] {
            let problem = StreamingJSONParser.validate(source: MemoryByteSource(bytes, step: step), chunkSize: chunk)
            #expect((problem == nil) == expectValid, "\(name) (reads of \(step), chunk \(chunk)): \(problem ?? "accepted")")
        }
    }

    @Test func suiteLargeCasesBuiltInMemory() {
        let opening = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        #expect(StreamingJSONParser.validate(source: MemoryByteSource(opening))?.contains("nesting deeper than 512") == true)
        let openObjects = Array(String(repeating: "[{\"\":", count: 50_000).utf8) + [0x0A]
        #expect(StreamingJSONParser.validate(source: MemoryByteSource(openObjects)) != nil)
    }

    // MARK: - Events and tokens

    @Test func eventsCarryDecodedStringsAndLiteralNumbers() throws {
        let text = #"{"a": [1, -2.50e+3, 0, 12345678901234567890.000, true, false, null, "x\u00e9\n\"\\\/"], "": {}, "b\u0000c": []}"#
        let expected = ["objectStart", "key:a", "arrayStart", "num:1", "num:-2.50e+3", "num:0", "num:12345678901234567890.000",
                        "bool(true)", "bool(false)", "null", "str:xé\n\"\\/", "arrayEnd", "key:", "objectStart", "objectEnd",
                        "key:b\u{0}c", "arrayStart", "arrayEnd", "objectEnd"]
        #expect(try events(text) == expected)
        // Every read one byte long, a window of 1: the same events.
        #expect(try events(text, step: 1, chunkSize: 1) == expected)
    }

    @Test func surrogatePairsAndMultiByteUTF8() throws {
        #expect(try events(#"["\uD83D\uDE00 \u00e9 é 𝄞"]"#, step: 1, chunkSize: 2) == ["arrayStart", "str:😀 é é 𝄞", "arrayEnd"])
    }

    @Test func byteOrderMarkIsSkippedOnlyAtTheStart() throws {
        #expect(try events("\u{FEFF}[1]") == ["arrayStart", "num:1", "arrayEnd"])
        #expect(syntaxError("[1]\u{FEFF}") != nil)
    }

    // MARK: - Errors

    @Test func syntaxErrorsNameLineColumnAndOffset() throws {
        let error = try #require(syntaxError("[\n  1,\n  2 3\n]"))
        #expect(error.line == 3)
        #expect(error.column == 5)
        #expect(error.offset == 11)
        #expect(error.message == "expected ',' or ']' after an array element, found '3'")
        #expect(error.description == "line 3, column 5 (byte offset 11): expected ',' or ']' after an array element, found '3'")
    }

    @Test(arguments: [
        ("[01]", "a number cannot have a leading zero"),
        ("[1.]", "a digit must follow the decimal point"),
        ("[1e]", "the exponent needs digits"),
        ("[-]", "'-' must be followed by a digit"),
        ("[tru]", "invalid literal (expected true)"),
        ("[\"a\u{1}\"]", "unescaped control character U+0001 in a string (write it as \\u0001)"),
        ("[\"\\x\"]", "invalid escape \\x in a string"),
        ("[\"\\u12\"]", "\\u must be followed by four hex digits"),
        ("{\"a\" 1}", "expected ':' after an object key, found '1'"),
        ("{\"a\":1,}", "expected a quoted key after ',', found '}'"),
        ("[1,]", "expected a value, found ']'"),
        ("[1] 2", "'2' after the end of the JSON value"),
        ("", "no JSON value (the input is empty)"),
        ("[1", "unexpected end of input inside an array"),
        ("[\"abc", "unterminated string at the end of the input"),
    ])
    func errorMessages(_ text: String, _ message: String) throws {
        let error = try #require(syntaxError(text))
        #expect(error.message == message)
    }

    @Test func depthLimit() {
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(syntaxError(deep)?.message == "nesting deeper than 512 levels")
        let fine = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(syntaxError(fine) == nil)
    }

    // MARK: - Text issues

    @Test func invalidUTF8InAStringIsATextIssueNotASyntaxError() throws {
        let bytes: [UInt8] = Array(#"["ok", "a"#.utf8) + [0xC3, 0x28] + Array(#"b", "c"]"#.utf8)
        let parser = StreamingJSONParser(source: MemoryByteSource(bytes, step: 1), chunkSize: 1)
        var strings: [String] = []
        while true {
            let event = try parser.next()
            if event == .end { break }
            if event == .string { strings.append(String(decoding: parser.token, as: UTF8.self)) }
        }
        #expect(strings == ["ok", "a\u{FFFD}(b", "c"])
        #expect(parser.textIssue == .init(offset: 9, message: "invalid UTF-8 (byte 0xC3)"))
        #expect(StreamingJSONParser.validate(source: MemoryByteSource(bytes)) == "byte offset 9: invalid UTF-8 (byte 0xC3)")
    }

    @Test func loneSurrogateIsATextIssue() throws {
        let parser = StreamingJSONParser(source: MemoryByteSource(#"["a\uDC00b"]"#))
        while try parser.next() != .end {}
        #expect(parser.textIssue == .init(offset: 3, message: "lone surrogate \\uDC00 (not a Unicode character)"))
    }

    // MARK: - NDJSON framing

    @Test func linesFramingReadsOneValuePerLine() throws {
        let text = "{\"a\":1}\r\n\n  {\"a\":2}\n[3]\n"
        #expect(try events(text, framing: .lines) == ["objectStart", "key:a", "num:1", "objectEnd", "objectStart", "key:a", "num:2",
                                                      "objectEnd", "arrayStart", "num:3", "arrayEnd"])
        #expect(try events("", framing: .lines) == [])
    }

    @Test func linesFramingRefusesARecordOverSeveralLinesAndRecoversOnTheNextLine() throws {
        let parser = StreamingJSONParser(source: MemoryByteSource("{\"a\":\n1}\n{\"b\":2} x\n{\"c\":3}\n"), framing: .lines, chunkSize: 4)
        #expect(try parser.next() == .objectStart)
        #expect(try parser.next() == .key)
        var error = try #require(throws: StreamingJSONParser.SyntaxError.self) { try parser.next() }
        #expect(error.message == "the record does not end on this line (NDJSON holds one record per line)")
        #expect(error.line == 1)
        // Sticky until the caller skips.
        #expect(throws: StreamingJSONParser.SyntaxError.self) { try parser.next() }
        #expect(try parser.skipToNextLine() == 5)
        // Line 2 is "1}": a number, then a stray '}'.
        #expect(try parser.next() == .number)
        error = try #require(throws: StreamingJSONParser.SyntaxError.self) { try parser.next() }
        #expect(error.line == 2)
        try parser.skipToNextLine()
        #expect(try parser.next() == .objectStart)
        #expect(try parser.next() == .key)
        #expect(try parser.next() == .number)
        #expect(try parser.next() == .objectEnd)
        error = try #require(throws: StreamingJSONParser.SyntaxError.self) { try parser.next() }
        #expect(error.message == "'x' after the end of the record on the same line (NDJSON holds one record per line)")
        try parser.skipToNextLine()
        #expect(try parser.next() == .objectStart)
        #expect(parser.eventLine == 4)
    }

    // MARK: - Bounded memory

    @Test func hugeTokenIsScannedButKeptOnlyUpToTheLimit() throws {
        // A 50 MB string in a 64 KiB window: the parser keeps 1 KiB of it and never grows.
        let size = 50_000_000
        let source = Generated(count: size) { index in
            switch index {
            case 0: return UInt8(ascii: "[")
            case 1: return UInt8(ascii: "\"")
            case size - 2: return UInt8(ascii: "\"")
            case size - 1: return UInt8(ascii: "]")
            default: return UInt8(ascii: "a")
            }
        }
        let parser = StreamingJSONParser(source: source, maxTokenBytes: 1024)
        #expect(try parser.next() == .arrayStart)
        #expect(try parser.next() == .string)
        #expect(parser.token.count == 1024)
        #expect(parser.tokenTruncated)
        #expect(try parser.next() == .arrayEnd)
        #expect(try parser.next() == .end)
    }

    @Test func captureKeepsRawTextAcrossRefills() throws {
        let parser = StreamingJSONParser(source: MemoryByteSource("[{\"name\": \"a long enough value\"}, 2]"), chunkSize: 3)
        #expect(try parser.next() == .arrayStart)
        #expect(try parser.next() == .objectStart)
        parser.beginCapture(at: parser.eventOffset, limit: 1000)
        while try parser.next() != .objectEnd {}
        #expect(parser.capturedText(upTo: parser.offset) == "{\"name\": \"a long enough value\"}")
        parser.endCapture()
        parser.beginCapture(at: parser.offset, limit: 5)
        #expect(try parser.next() == .number)
        #expect(parser.capturedText(upTo: parser.offset) == ", 2")
    }
}
