import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// Files in Windows-1252 and UTF-16 read as the same text as their UTF-8 twins.
struct TextDecodingTests {
    static let text = "Account Number,Last Name,Note\r\nR1,MUÑOZ,“paid” – €5\r\nR2,JOSÉ,plain\r\n"

    func write(_ bytes: [UInt8], name: String) throws -> String {
        let path = try makeTemporaryDirectory("encoding") + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func rows(_ path: String, encoding: PipelineConfig.TextEncoding? = nil) throws -> (header: [String], rows: [[String]], notices: [String]) {
        let reader = try CSVReader(path: path, encoding: encoding)
        var rows: [[String]] = []
        while let result = try reader.next() {
            if case let .record(record) = result { rows.append(record.values) }
        }
        return (reader.header, rows, reader.notices)
    }

    static var windows1252: [UInt8] {
        Self.text.unicodeScalars.map { scalar -> UInt8 in
            switch scalar {
            case "“": return 0x93
            case "”": return 0x94
            case "–": return 0x96
            case "€": return 0x80
            default: return UInt8(scalar.value) // Latin-1 range
            }
        }
    }

    @Test func windows1252IsDetectedWithANoticeOrReadSilentlyWhenDeclared() throws {
        let path = try write(Self.windows1252, name: "cp1252.csv")
        let detected = try rows(path)
        #expect(detected.rows == [["R1", "MUÑOZ", "“paid” – €5"], ["R2", "JOSÉ", "plain"]])
        #expect(detected.notices.count == 1)
        #expect(detected.notices.first?.contains("Windows-1252") == true)
        let declared = try rows(path, encoding: .windows1252)
        #expect(declared.rows == detected.rows)
        #expect(declared.notices.isEmpty)
    }

    @Test(arguments: [true, false])
    func utf16WithABOMInEitherByteOrder(bigEndian: Bool) throws {
        var bytes: [UInt8] = bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]
        for unit in (Self.text + "R3,EMOJI 😀,x\r\n").utf16 {
            bytes += bigEndian ? [UInt8(unit >> 8), UInt8(unit & 0xFF)] : [UInt8(unit & 0xFF), UInt8(unit >> 8)]
        }
        let read = try rows(try write(bytes, name: "utf16.csv"))
        #expect(read.header == ["Account Number", "Last Name", "Note"])
        #expect(read.rows.count == 3)
        #expect(read.rows[0] == ["R1", "MUÑOZ", "“paid” – €5"])
        #expect(read.rows[2][1] == "EMOJI 😀")
        #expect(read.notices.isEmpty)
    }

    @Test func utf8WithOrWithoutBOMNeedsNoNotice() throws {
        for bom in [[], [0xEF, 0xBB, 0xBF] as [UInt8]] {
            let read = try rows(try write(bom + Array(Self.text.utf8), name: "utf8.csv"))
            #expect(read.header.first == "Account Number")
            #expect(read.rows[0][1] == "MUÑOZ")
            #expect(read.notices.isEmpty)
        }
    }

    @Test func anInvalidByteAfterTheDetectionWindowRejectsThatRowNamingItsOffset() throws {
        var bytes = Array("Account Number,Name\r\n".utf8)
        let filler = Array("R1,ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n".utf8)
        while bytes.count < TextDecoding.detectionWindow + 100 { bytes += filler }
        let offset = bytes.count + 3
        bytes += Array("R2,".utf8) + [0xFF] + Array("X\r\nR3,OK\r\n".utf8)
        let reader = try CSVReader(path: try write(bytes, name: "late.csv"))
        #expect(reader.notices.isEmpty)
        var malformed: [String] = []
        var last: [String] = []
        while let result = try reader.next() {
            switch result {
            case let .malformed(_, _, message, _): malformed.append(message)
            case let .record(record): last = record.values
            }
        }
        #expect(malformed == ["invalid UTF-8 at byte offset \(offset)"])
        #expect(last == ["R3", "OK"], "the rest of the file goes on")
    }

    @Test func transcodersCarryPartialCharactersAcrossChunks() throws {
        var utf16: [UInt8] = [0xFF, 0xFE]
        for unit in "a😀é".utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        #expect(try drain(UTF16ToUTF8Source(MemoryByteSource(utf16, step: 1))) == "a😀é")
        #expect(try drain(UTF16ToUTF8Source(MemoryByteSource([0xFF, 0xFE, 0x3D, 0xD8], step: 1))) == "\u{FFFD}", "an unpaired surrogate")
        #expect(try drain(Windows1252ToUTF8Source(MemoryByteSource([0x80, 0x41, 0xE9], step: 1))) == "€Aé")
    }

    func drain(_ source: ByteSource) throws -> String {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 7)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
