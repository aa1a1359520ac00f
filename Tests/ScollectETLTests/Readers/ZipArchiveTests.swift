import Foundation
import ScollectTestSupport
import Testing
@testable import ScollectETL

/// The zip container under hostile sizes and offsets (security review, finding 7): every size
/// and offset read from the file is untrusted, so a crafted one is a clear error, never an
/// arithmetic trap. Archives are built in memory (`ZipImage`) from handmade.xlsx's parts.
@Suite("ZipArchive")
struct ZipArchiveTests {
    static func handmadeParts() throws -> [(String, [UInt8])] {
        let source = try ZipArchive(path: repositoryPath("Tests/Fixtures/xlsx/handmade.xlsx"))
        return try source.entries.map { ($0.name, try readEntry(source, $0)) }
    }

    /// The reason the reader gives for the archive, or "read" when it reads it.
    static func outcome(_ image: ZipImage) throws -> String {
        let path = try temporaryReaderFile("crafted.xlsx", image.bytes)
        do {
            _ = try readAll(try XLSXReader(path: path))
            return "read"
        } catch let ReaderError.cannotOpen(_, reason) {
            return reason
        }
    }

    @Test func zip64ArchiveReadsLikeTheClassicOne() throws {
        let parts = try Self.handmadeParts()
        for deflate in [false, true] {
            let classic = try readAll(try XLSXReader(path: try temporaryReaderFile("classic.xlsx", ZipImage.build(parts, deflate: deflate).bytes)))
            let zip64 = try readAll(try XLSXReader(path: try temporaryReaderFile("zip64.xlsx", ZipImage.build(parts, zip64: true, deflate: deflate).bytes)))
            #expect(classic.header == ["Name", "Value", "When", "Kind", "Extra"])
            #expect(zip64.header == classic.header)
            #expect(zip64.records == classic.records)
            #expect(classic.records.count == 5)
        }
    }

    /// The zip64 extra field of the worksheet's directory record: uncompressed size, compressed
    /// size, local header offset (8 bytes each, after the 4-byte field header).
    static func worksheetZip64Field(_ image: ZipImage, _ index: Int) -> Int {
        let record = image.central["xl/worksheets/sheet1.xml"]!
        return record + 46 + "xl/worksheets/sheet1.xml".utf8.count + 4 + 8 * index
    }

    @Test(arguments: [UInt64.max, UInt64(Int.max), UInt64(Int.max) - 10, 1 << 62])
    func zip64LocalHeaderOffsetPastAnyFile(value: UInt64) throws {
        // Crashed with an arithmetic overflow (exit 132) before the sums were checked.
        var image = ZipImage.build(try Self.handmadeParts(), zip64: true)
        image.set(Self.worksheetZip64Field(image, 2), width: 8, to: value)
        #expect(try Self.outcome(image) == "the zip archive is truncated: the local header of xl/worksheets/sheet1.xml lies past the end of the file")
    }

    @Test(arguments: [UInt64.max, UInt64(Int.max), UInt64(Int.max) - 40])
    func zip64CompressedSizePastAnyFile(value: UInt64) throws {
        var image = ZipImage.build(try Self.handmadeParts(), zip64: true)
        image.set(Self.worksheetZip64Field(image, 1), width: 8, to: value)
        #expect(try Self.outcome(image) == "the zip archive is truncated: the data of xl/worksheets/sheet1.xml runs past the end of the file")
    }

    @Test func zip64UncompressedSizeOverTheLimit() throws {
        var image = ZipImage.build(try Self.handmadeParts(), zip64: true)
        image.set(Self.worksheetZip64Field(image, 0), width: 8, to: UInt64.max)
        let reason = try Self.outcome(image)
        #expect(reason.hasPrefix("xl/worksheets/sheet1.xml declares \(Int.max) bytes uncompressed, over the limit"), "\(reason)")
    }

    /// The zip64 end record's fields, from the end of the file: the locator (20 bytes) and
    /// the classic record (22) follow it; its directory offset is its last 8 bytes.
    @Test(arguments: [(8, UInt64.max), (8, UInt64(Int.max) - 5), (16, UInt64.max), (16, UInt64(Int.max)), (24, 1 << 40)])
    func zip64EndRecordFieldsPastAnyFile(fromRecordEnd: Int, value: UInt64) throws {
        var image = ZipImage.build(try Self.handmadeParts(), zip64: true)
        let recordEnd = image.bytes.count - 22 - 20
        image.set(recordEnd - fromRecordEnd, width: 8, to: value)
        let reason = try Self.outcome(image)
        #expect(reason.hasPrefix("the zip archive is"), "\(reason)")
        #expect(reason != "read")
    }

    @Test(arguments: [UInt64.max, UInt64(Int.max), UInt64(Int.max) - 19])
    func zip64LocatorPointsPastAnyFile(value: UInt64) throws {
        var image = ZipImage.build(try Self.handmadeParts(), zip64: true)
        image.set(image.bytes.count - 22 - 20 + 8, width: 8, to: value)
        #expect(try Self.outcome(image) == "the zip archive is truncated: the zip64 end record lies past the end of the file")
    }

    @Test func entryCountLargerThanTheDirectoryCanHold() throws {
        var image = ZipImage.build(try Self.handmadeParts(), zip64: true)
        image.set(image.bytes.count - 22 - 20 - 24, width: 8, to: 1 << 61)
        #expect(try Self.outcome(image) == "the zip archive is damaged: its central directory holds fewer entries than it says (\(1 << 61))")
    }
}
