import Foundation
import ScollectSandbox
import ScollectTestSupport
import Testing
@testable import ScollectETL

// Oracles: nst/JSONTestSuite (Tests/Fixtures/json/JSONTestSuite) for what is JSON, and
// Foundation's JSONSerialization (what `JSONValue.parse` used before) for the value it means.

private let suiteFolder = repositoryPath("Tests/Fixtures/json/JSONTestSuite")
private let suiteFiles: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: suiteFolder)) ?? [])
    .filter { $0.hasSuffix(".json") }.sorted()

/// The suite's "implementation defined" cases this parser accepts: huge numbers (to ±infinity or
/// 0), 500 nested arrays, a leading UTF-8 BOM. Lone surrogates, invalid UTF-8 and UTF-16 are not.
private let acceptedIndeterminate: Set<String> = [
    "i_number_double_huge_neg_exp.json", "i_number_huge_exp.json", "i_number_neg_int_huge_exp.json",
    "i_number_pos_double_huge_exp.json", "i_number_real_neg_overflow.json", "i_number_real_pos_overflow.json",
    "i_number_real_underflow.json", "i_number_too_big_neg_int.json", "i_number_too_big_pos_int.json",
    "i_number_very_big_negative_int.json", "i_structure_500_nested_arrays.json", "i_structure_UTF-8_BOM_empty_object.json",
]

private func parse(_ text: String) -> JSONValue? { JSONValue.parse(Data(text.utf8)) }

@Suite("JSONBytesParser")
struct JSONBytesParserTests {
    @Test func suiteIsVendored() {
        #expect(suiteFiles.filter { $0.hasPrefix("y_") }.count == 95)
        #expect(suiteFiles.filter { $0.hasPrefix("n_") }.count == 186)
    }

    /// y_ parse, n_ are rejected, i_ as documented above.
    @Test(arguments: suiteFiles)
    func jsonTestSuiteCase(_ name: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: suiteFolder + "/" + name))
        let expectValid = name.hasPrefix("y_") || acceptedIndeterminate.contains(name)
        #expect((JSONValue.parse(data) != nil) == expectValid, "\(name)")
    }

    /// Where JSONSerialization reads a case of the suite too, both give the same value; numbers
    /// to 1e-12 relative: strtod rounds correctly where JSONSerialization is off by a few ulps
    /// (y_number_double_close_to_zero: -1e-78, as Python's float reads it; Foundation -1.0000000000000005e-78).
    @Test(arguments: suiteFiles.filter { $0.hasPrefix("y_") })
    func sameValueAsJSONSerialization(_ name: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: suiteFolder + "/" + name))
        guard let foundation = JSONValue.parseWithFoundation(data) else { return }
        let ours = try #require(JSONValue.parse(data))
        #expect(Self.close(ours, foundation), "\(name): \(ours) vs \(foundation)")
    }

    static func close(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.number(x), .number(y)): return x == y || abs(x - y) <= 1e-12 * max(abs(x), abs(y))
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { close($0, $1) }
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && close($0.1, $1.1) }
        default: return a == b
        }
    }

    @Test func sameValueAsJSONSerializationOnAnswers() throws {
        let answers = [
            #"{"state": "SUCCESS", "result": [{"filenumber": "R1001", "currentbalance": "1,234.50", "zip": 30301, "b": null, "a": true}]}"#,
            #"{"result": [{"error": "The field s does not exist in the dbase table."}, 404], "state": "SUCCESS"}"#,
            #"{"z": 1, "a": 2, "z": 3, "m": {"y": [1.5, -0.25e-3, 1e21, 123456789012345678901234567890], "x": "\u00e9\ud83d\ude00\n"}}"#,
            #"  "fragment"  "#, "12", "-0", "[]", "{}",
        ]
        for text in answers {
            let foundation = try #require(JSONValue.parseWithFoundation(Data(text.utf8)), "\(text)")
            #expect(parse(text) == foundation, "\(text)")
        }
    }

    /// Strings are scanned eight bytes at a time: a quote, escape, control byte, non-ASCII or
    /// invalid UTF-8 at every position of a word (and of the word after), at every alignment,
    /// gives what JSONSerialization gives (both invalid, or the same value).
    @Test func everyPositionOfASpecialByteInAWord() {
        let inserts: [[UInt8]] = [[0x5C, 0x6E], [0x5C, 0x22], [0x01], [0x1F], [0xC3, 0xA9], [0xC3], [0xFF], [0xE2, 0x82, 0xAC], [0x7F]]
        for alignment in 0..<8 {
            for length in 0..<18 {
                for position in 0...length {
                    for insert in inserts {
                        var body = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                        body.insert(contentsOf: insert, at: position)
                        let text = [UInt8](repeating: 0x20, count: alignment) + Array(#"{"k": [""#.utf8) + body + Array(#"", "tail"]}"#.utf8)
                        let data = Data(text)
                        let ours = JSONValue.parse(data)
                        let foundation = JSONValue.parseWithFoundation(data)
                        #expect(ours == foundation, "\(insert) at \(position) of \(length), alignment \(alignment)")
                    }
                }
            }
        }
    }

    /// The same inside a record read for some fields only, as an unread key and as an unread
    /// value (checked without being built): valid or not as JSONSerialization says.
    @Test func everyPositionOfASpecialByteInAnUnreadField() {
        let inserts: [[UInt8]] = [[0x5C, 0x6E], [0x01], [0xC3, 0xA9], [0xC3], [0xFF], [0xE2, 0x82, 0xAC], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98, 0x80], [0xF4, 0x90, 0x80, 0x80]]
        let fields = AnswerFields(["city"])
        for length in 0..<12 {
            for position in 0...length {
                for insert in inserts {
                    var text = [UInt8](repeating: UInt8(ascii: "b"), count: length)
                    text.insert(contentsOf: insert, at: position)
                    for asKey in [true, false] {
                        let pair = asKey ? [0x22] + text + Array(#"": 1"#.utf8) : Array(#""other": ""#.utf8) + text + [0x22]
                        let data = Data(Array(#"{"result": [{"city": "A", "#.utf8) + pair + Array(#"}], "state": "SUCCESS"}"#.utf8))
                        let valid = JSONValue.parseWithFoundation(data) != nil
                        let ours = JSONValue.parse(data, fields: fields)
                        #expect((ours != nil) == valid, "\(insert) at \(position) of \(length), as a \(asKey ? "key" : "value")")
                        if valid { #expect(ours == Self.cut(JSONValue.parse(data)!, to: ["city"])) }
                    }
                }
            }
        }
    }

    @Test func objectKeysSortedAndLastDuplicateWins() {
        #expect(parse(#"{"b": 1, "a": 2, "b": 3}"#) == .object([("a", .number(2)), ("b", .number(3))]))
        #expect(parse(#"{"a": 1, "b": 2}"#) == .object([("a", .number(1)), ("b", .number(2))]))
    }

    @Test func stringsAndNumbersAreDecoded() {
        #expect(parse(#"["x\u00e9\n\"\\\/\t\b\f\r", "\uD83D\uDE00", "é𝄞"]"#)
            == .array([.string("xé\n\"\\/\t\u{8}\u{C}\r"), .string("😀"), .string("é𝄞")]))
        #expect(parse("[0, -12, 3.25, 1E2, -1e-2, 9007199254740993]")
            == .array([.number(0), .number(-12), .number(3.25), .number(100), .number(-0.01), .number(9007199254740992)]))
    }

    @Test func invalidTextIsRejected() {
        for text in ["", " ", "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[-]", "[1e]", "\"\\uD800\"", "\"\\uDC00x\"",
                     "\"a\u{1}\"", "[\"\\x\"]", "tru", "nul", "[1] [2]", "{\"a\" 1}", "{1: 2}", "'a'", "[NaN]"] {
            #expect(parse(text) == nil, "\(text.debugDescription)")
        }
        #expect(JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) == nil, "invalid UTF-8 inside a string")
        #expect(JSONValue.parse(Data(repeating: UInt8(ascii: "["), count: 100_000)) == nil, "nesting deeper than 512")
        #expect(JSONValue.parse(Data((String(repeating: "[", count: 512) + String(repeating: "]", count: 512)).utf8)) != nil)
    }

    // MARK: - Records read for some fields only

    /// The full parse with the `result` records cut down to `fields` (and `error`): the oracle.
    static func cut(_ value: JSONValue, to fields: Set<String>) -> JSONValue {
        guard case var .object(top) = value, let at = top.firstIndex(where: { $0.0 == "result" }), case let .array(records) = top[at].1 else { return value }
        top[at].1 = .array(records.map { record in
            guard case let .object(pairs) = record else { return record }
            return .object(pairs.filter { fields.contains($0.0) || $0.0 == "error" })
        })
        return .object(top)
    }

    @Test func recordsKeepOnlyTheFieldsAsked() throws {
        let fields: Set<String> = ["city", "statusname", "zip", "né"]
        let answers = [
            #"{"result": [{"accountnumber": "1507303284", "city": "BOSTON", "x": {"a": [1, 2, {"city": 3}]}, "statusname": null, "zip": 2903, "notes": "caf\u00e9 \"x\"", "né": "é"}], "state": "SUCCESS"}"#,
            #"{"state": "SUCCESS", "result": [{"error": "Data not found for this filenumber"}, 404]}"#,
            #"{"result": {"result": []}, "state": "SUCCESS"}"#, #"{"result": [], "state": "SUCCESS"}"#,
            #"{"result": [1, {"city": "A", "b": 2}], "other": [{"city": "kept: not a record of result", "b": 2}]}"#,
            #"[{"result": [{"city": "A", "b": 2}]}]"#, #"{"x": {"result": [{"city": "A", "b": 2}]}}"#,
        ]
        for text in answers {
            let data = Data(text.utf8)
            let full = try #require(JSONValue.parse(data), "\(text)")
            #expect(JSONValue.parse(data, fields: AnswerFields(fields)) == Self.cut(full, to: fields), "\(text)")
            #expect(ResponseClassifier.classify(HTTPResponse(status: 200, headers: [:], body: data), fields: AnswerFields(fields)).0
                == ResponseClassifier.classify(HTTPResponse(status: 200, headers: [:], body: data)).0, "\(text)")
        }
    }

    /// The byte filter that rules keys out before any name is compared agrees with the set of
    /// names: for keys that share its length, first and last byte with a name, and for random
    /// keys of every length.
    @Test func keptKeysAreExactlyTheNames() {
        let names: Set<String> = ["city", "statusname", "deceased", "zip", "né", "a"]
        let fields = AnswerFields(names)
        var keys = ["cxty", "ciyy", "cit", "cityy", "statusnamf", "statusnamE", "deceasee", "zap", "ne", "nè", "b", "A", "", "error", "erro"]
        var generator = SplitMix64(seed: 20261203) // a replayable sequence: a failing key shows again
        let alphabet = Array("abcdeinstuyz_é")
        for _ in 0..<5_000 {
            keys.append(String((0..<Int.random(in: 1...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        for key in keys + Array(names) {
            let kept = Array(key.utf8).withUnsafeBytes { fields.keeps($0) }
            #expect(kept == fields.names.contains(key), "\(key)")
        }
    }

    @Test func aFieldNobodyReadsIsStillChecked() {
        let fields = AnswerFields(["city"])
        for text in [#"{"result": [{"city": "A", "b": "x\u"}]}"#, #"{"result": [{"city": "A", "b": 01}]}"#,
                     #"{"result": [{"city": "A", "b": "tab\#t"}]}"#, #"{"result": [{"city": "A", "b": tru}]}"#,
                     #"{"result": [{"city": "A", "b": [1,]}]}"#, #"{"result": [{"city": "A", "b": "\uDC00"}]}"#] {
            #expect(JSONValue.parse(Data(text.utf8), fields: fields) == nil, "\(text)")
        }
        var invalidUTF8 = Array(#"{"result": [{"city": "A", "b": "x"}]}"#.utf8)
        invalidUTF8[invalidUTF8.count - 5] = 0xC3 // "x" -> a lone lead byte
        #expect(JSONValue.parse(Data(invalidUTF8)) == nil)
        #expect(JSONValue.parse(Data(invalidUTF8), fields: fields) == nil)
        var invalidKey = Array(#"{"result": [{"city": "A", "bb": 1}]}"#.utf8)
        invalidKey[invalidKey.count - 9] = 0xFF
        #expect(JSONValue.parse(Data(invalidKey), fields: fields) == nil)
    }
}
