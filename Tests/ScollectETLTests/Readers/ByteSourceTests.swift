import CZlib
import Foundation
import Testing
@testable import ScollectETL

private final class ScratchFiles {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("bytesource-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ bytes: [UInt8], name: String) throws -> String {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes `members` as concatenated gzip members (one member for a single element).
    func writeGzip(_ members: [[UInt8]], name: String) throws -> String {
        let path = path(name)
        for (index, bytes) in members.enumerated() {
            let file = try #require(gzopen(path, index == 0 ? "wb" : "ab"))
            let written = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
            #expect(Int(written) == bytes.count)
            #expect(gzclose(file) == Z_OK)
        }
        return path
    }
}

/// Everything a source yields, read `bufferSize` bytes at a time; checks it keeps returning 0.
private func drain(_ source: ByteSource, bufferSize: Int) throws -> [UInt8] {
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: bufferSize)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        #expect(n >= 0 && n <= bufferSize)
        if n == 0 { break }
        result += buffer[0..<n]
    }
    let again = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
    #expect(again == 0)
    return result
}

private func sampleBytes(_ count: Int) -> [UInt8] {
    var state: UInt32 = 12345
    return (0..<count).map { _ in
        state = state &* 1_103_515_245 &+ 12345
        return UInt8(truncatingIfNeeded: state >> 16)
    }
}

/// Reads a source to its end, returning the error it throws (nil when it ends cleanly).
private func errorWhileDraining(_ source: () throws -> ByteSource) -> Error? {
    do {
        _ = try drain(try source(), bufferSize: 4096)
        return nil
    } catch {
        return error
    }
}

@Suite("ByteSource")
struct ByteSourceTests {
    @Test(arguments: [1, 7, 4096, 1 << 20])
    func fileSourceReadsEveryByte(bufferSize: Int) throws {
        let files = try ScratchFiles()
        let bytes = sampleBytes(100_000)
        let path = try files.write(bytes, name: "data.bin")
        #expect(try drain(FileByteSource(path: path), bufferSize: bufferSize) == bytes)
    }

    @Test func emptyFileIsAtEndAtOnce() throws {
        let files = try ScratchFiles()
        let path = try files.write([], name: "empty.csv")
        #expect(try drain(FileByteSource(path: path), bufferSize: 16).isEmpty)
        #expect(try drain(openByteSource(path: path), bufferSize: 16).isEmpty)
    }

    @Test func missingFileOrDirectoryCannotBeOpened() throws {
        let files = try ScratchFiles()
        for path in [files.path("missing.csv"), files.url.path] {
            for open in [{ try FileByteSource(path: path) as ByteSource }, { try openByteSource(path: path) }] {
                do {
                    _ = try open()
                    Issue.record("expected cannotOpen for \(path)")
                } catch let ReaderError.cannotOpen(errorPath, reason) {
                    #expect(errorPath == path)
                    #expect(!reason.isEmpty)
                }
            }
        }
    }

    @Test(arguments: [1, 1000, 1 << 18])
    func gzipSourceReadsTheDecompressedBytes(bufferSize: Int) throws {
        let files = try ScratchFiles()
        let text = Array(String(repeating: "id,name,amount\n1,\"Doe, Jane\",10.00\n", count: 5000).utf8)
        let path = try files.writeGzip([text], name: "data.csv.gz")
        #expect(try drain(GzipByteSource(path: path), bufferSize: bufferSize) == text)
    }

    @Test func concatenatedGzipMembersReadAsOneStream() throws {
        let files = try ScratchFiles()
        let first = Array("id,name\n1,a\n".utf8), second = Array("2,b\n3,c\n".utf8)
        let path = try files.writeGzip([first, second], name: "two.gz")
        #expect(try drain(openByteSource(path: path), bufferSize: 5) == first + second)
    }

    @Test func factoryPicksGzipByMagicBytesNotByName() throws {
        let files = try ScratchFiles()
        let text = Array("a,b\n1,2\n".utf8)
        let gzipNamedCSV = try files.writeGzip([text], name: "looks-plain.csv")
        let plainNamedGz = try files.write(text, name: "looks-gzipped.csv.gz")
        let oneByte = try files.write([0x1f], name: "one.bin")
        let almostMagic = try files.write([0x1f, 0x8c, 0x41], name: "almost.bin")

        let gz = try openByteSource(path: gzipNamedCSV)
        #expect(gz is GzipByteSource)
        #expect(try drain(gz, bufferSize: 3) == text)

        let plain = try openByteSource(path: plainNamedGz)
        #expect(plain is FileByteSource)
        #expect(try drain(plain, bufferSize: 3) == text)

        #expect(try drain(openByteSource(path: oneByte), bufferSize: 8) == [0x1f])
        #expect(try drain(openByteSource(path: almostMagic), bufferSize: 8) == [0x1f, 0x8c, 0x41])
    }

    @Test func truncatedGzipIsAnIOErrorNamingTheFile() throws {
        let files = try ScratchFiles()
        let full = try files.writeGzip([sampleBytes(300_000)], name: "full.gz")
        let compressed = try Array(Data(contentsOf: URL(fileURLWithPath: full)))
        // Cut inside the deflate data, and just before the 8-byte trailer.
        for (index, keep) in [compressed.count / 2, compressed.count - 4, 12].enumerated() {
            let path = try files.write(Array(compressed.prefix(keep)), name: "cut\(index).gz")
            let error = errorWhileDraining { try openByteSource(path: path) }
            guard case let .ioError(errorPath, reason)? = error as? ReaderError else {
                Issue.record("expected ioError for a gzip cut at \(keep) bytes, got \(String(describing: error))")
                continue
            }
            #expect(errorPath == path)
            #expect(reason.contains("truncated"))
        }
    }

    @Test func corruptGzipIsAnIOErrorNamingTheFile() throws {
        let files = try ScratchFiles()
        let full = try files.writeGzip([Array(String(repeating: "0123456789,abcdef\n", count: 20000).utf8)], name: "full.gz")
        var compressed = try Array(Data(contentsOf: URL(fileURLWithPath: full)))
        // Damage the CRC-32 in the trailer: the data inflates but does not check out.
        compressed[compressed.count - 8] ^= 0xFF
        let badCRC = try files.write(compressed, name: "bad-crc.gz")
        // Damage the deflate data itself.
        var garbled = try Array(Data(contentsOf: URL(fileURLWithPath: full)))
        for offset in stride(from: 10, to: garbled.count - 8, by: 7) { garbled[offset] ^= 0x5A }
        let badData = try files.write(garbled, name: "bad-data.gz")

        for path in [badCRC, badData] {
            let error = errorWhileDraining { try openByteSource(path: path) }
            guard case let .ioError(errorPath, reason)? = error as? ReaderError else {
                Issue.record("expected ioError for \(path), got \(String(describing: error))")
                continue
            }
            #expect(errorPath == path)
            #expect(!reason.isEmpty)
        }
    }
}
