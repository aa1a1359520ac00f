import Foundation
@testable import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Fuzzing of the zip container and the XLSX parts (security review, "extend the fuzzing"):
/// archives built from handmade.xlsx's parts (classic and zip64, stored and deflated) get their
/// size, offset and count fields set to hostile values, their bytes mutated, or one XML part
/// mutated before zipping. Whatever comes of it, the reader reads or refuses the file with a
/// clear `ReaderError`: no crash, no trap, and memory stays bounded by the reader's limits.
extension FuzzTests {
    static func interesting(_ original: UInt64, width: Int, fileSize: Int, using random: inout SplitMix64) -> UInt64 {
        let maximum: UInt64 = width == 8 ? .max : (1 << UInt64(8 * width)) - 1
        let choices: [UInt64] = [0, 1, maximum, maximum - 1, maximum >> 1, (maximum >> 1) + 1, UInt64(fileSize), UInt64(fileSize) &- 1,
                                 original &+ UInt64.random(in: 1...64, using: &random), original &- UInt64.random(in: 1...64, using: &random),
                                 0xFFFF_FFFF, 0xFFFF, UInt64(Int.max), UInt64.random(in: 0...maximum, using: &random)]
        return choices.randomElement(using: &random)! & maximum
    }

    /// What the reader makes of a file: a row count, or the error's text; any other error is an issue.
    static func readXLSX(_ path: String, limits: XLSXReader.Limits) -> String {
        do {
            let reader = try XLSXReader(path: path, limits: limits)
            var rows = 0
            while let result = try reader.next() {
                if case let .record(record) = result { #expect(record.count == reader.header.count) }
                rows += 1
                if rows > 100_000 { Issue.record("runaway reader"); break }
            }
            return "\(rows) rows"
        } catch let error as ReaderError {
            let text = "\(error)"
            #expect(text.hasPrefix(path + ": "), "the error names the file")
            return text
        } catch {
            Issue.record("not a ReaderError: \(error)")
            return "\(error)"
        }
    }

    static func peakMemoryKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss)
    }

    @Test func zipContainerAndXLSXPartsNeverCrashTheReader() throws {
        let source = try ZipArchive(path: repositoryPath("Tests/Fixtures/xlsx/handmade.xlsx"))
        let parts = try source.entries.map { ($0.name, try readEntry(source, $0)) }
        let bases = [false, true].flatMap { zip64 in [false, true].map { ZipImage.build(parts, zip64: zip64, deflate: $0) } }
        let path = try makeTemporaryDirectory("zip-fuzz") + "/fuzz.xlsx"
        let limits = XLSXReader.Limits(maxEntryBytes: 4 << 20, maxSharedStringsBytes: 1 << 20)
        for base in bases {
            try Data(base.bytes).write(to: URL(fileURLWithPath: path))
            #expect(Self.readXLSX(path, limits: limits) == "5 rows")
        }
        let xmlAlphabet = Array("<>/=\"'&;#x:_ ?!-[]ADOCTYPEENTITY".utf8)
        let seed = Self.seed
        var random = SplitMix64(seed: seed)
        let memoryBefore = Self.peakMemoryKiB()
        let deadline = Date().addingTimeInterval(Self.budget)
        var iterations = 0, refused = 0
        while iterations < 200 || Date() < deadline {
            var image = bases.randomElement(using: &random)!
            let strategy = Int.random(in: 0..<4, using: &random)
            if strategy >= 2 {
                // One XML part mutated (XML punctuation and bytes), then zipped soundly.
                var mutated = parts
                let k = Int.random(in: 0..<mutated.count, using: &random)
                var bytes = Self.mutate(mutated[k].1, using: &random)
                for _ in 0..<Int.random(in: 0...3, using: &random) where !bytes.isEmpty {
                    bytes.insert(xmlAlphabet.randomElement(using: &random)!, at: Int.random(in: 0..<bytes.count, using: &random))
                }
                mutated[k].1 = bytes
                image = ZipImage.build(mutated, zip64: Bool.random(using: &random), deflate: Bool.random(using: &random))
            }
            if strategy == 0 || strategy == 3 {
                // Sizes, offsets, counts and lengths set to hostile values.
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    let field = image.fields.randomElement(using: &random)!
                    var original: UInt64 = 0
                    for b in 0..<field.width { original |= UInt64(image.bytes[field.offset + b]) << (8 * UInt64(b)) }
                    image.set(field.offset, width: field.width,
                              to: Self.interesting(original, width: field.width, fileSize: image.bytes.count, using: &random))
                }
            } else if strategy == 1 {
                image.bytes = Self.mutate(image.bytes, using: &random)
            }
            try Data(image.bytes).write(to: URL(fileURLWithPath: path))
            if !Self.readXLSX(path, limits: limits).hasSuffix(" rows") { refused += 1 }
            iterations += 1
        }
        let grown = Self.peakMemoryKiB() - memoryBefore
        #expect(grown < 256 * 1024, "peak memory grew by \(grown) KiB (FUZZ_SEED=\(seed))")
        print("zip/xlsx fuzz: \(iterations) archives, \(refused) refused, seed \(seed)")
    }
}
