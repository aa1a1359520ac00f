import Foundation
@testable import ScollectETL
import ScollectSandbox
import ScollectTestSupport
import Testing

/// Property-based fuzzing of the CSV reader and the normalisers: the committed corpus
/// (`Tests/Fixtures/fuzz/`) is replayed, then mutated at random for `FUZZ_SECONDS` seconds per
/// target (default 8, so CI spends well under a minute; `Scripts/fuzz.sh` runs longer). The seed
/// is printed on failure so a finding can be replayed with `FUZZ_SEED`.
struct FuzzTests {
    static var budget: Double { Double(ProcessInfo.processInfo.environment["FUZZ_SECONDS"] ?? "") ?? 8 }
    static var seed: UInt64 { UInt64(ProcessInfo.processInfo.environment["FUZZ_SEED"] ?? "") ?? UInt64(Date().timeIntervalSince1970) }

    enum Outcome: Equatable {
        case record([String])
        case malformed(row: Int, message: String)
    }

    /// Everything a reader makes of the bytes, or the error that ended the file.
    static func parse(_ bytes: [UInt8], chunkSize: Int) -> (header: [String], outcomes: [Outcome], failure: String?) {
        do {
            let reader = try CSVReader(source: MemoryByteSource(bytes), path: "fuzz.csv", maxRecordBytes: 256, chunkSize: chunkSize)
            var outcomes: [Outcome] = []
            while let result = try reader.next() {
                switch result {
                case let .record(record):
                    #expect(record.count == reader.header.count, "a record has as many fields as the header")
                    let all = record.values.joined()
                    #expect(!all.utf8.contains(0), "no NUL byte reaches a record")
                    outcomes.append(.record(record.values))
                case let .malformed(row, _, message, _):
                    outcomes.append(.malformed(row: row, message: message))
                }
                if outcomes.count > 10_000 { Issue.record("runaway reader"); break }
            }
            return (reader.header, outcomes, nil)
        } catch {
            return ([], [], "\(error)")
        }
    }

    static func mutate(_ input: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        let interesting: [UInt8] = [34, 44, 13, 10, 0, 0xFF, 0xC3, 0xA9, 0xE2, 0x82, 0xEF, 0xBB, 0xBF, 32, 9, 59, 65, 49]
        var bytes = input
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0...bytes.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0: bytes.insert(interesting.randomElement(using: &random)!, at: position)
            case 1 where !bytes.isEmpty: bytes.remove(at: min(position, bytes.count - 1))
            case 2 where !bytes.isEmpty: bytes[min(position, bytes.count - 1)] = UInt8.random(in: 0...255, using: &random)
            case 3: bytes = Array(bytes.prefix(position))
            default: bytes.insert(contentsOf: Array(repeating: interesting.randomElement(using: &random)!, count: Int.random(in: 1...300, using: &random)), at: position)
            }
        }
        return bytes
    }

    @Test func csvReaderNeverCrashesAndChunkBoundariesNeverChangeWhatItReads() throws {
        let corpusFolder = repositoryPath("Tests/Fixtures/fuzz/csv")
        let corpus = try FileManager.default.contentsOfDirectory(atPath: corpusFolder).sorted().map {
            Array(try Data(contentsOf: URL(fileURLWithPath: corpusFolder + "/" + $0)))
        }
        #expect(corpus.count >= 5)
        let seed = Self.seed
        var random = SplitMix64(seed: seed)
        let deadline = Date().addingTimeInterval(Self.budget)
        var iterations = 0
        var inputs = corpus
        while iterations < corpus.count || Date() < deadline {
            let input = iterations < corpus.count ? corpus[iterations] : Self.mutate(inputs.randomElement(using: &random)!, using: &random)
            let reference = Self.parse(input, chunkSize: 4096)
            for chunkSize in [1, 3, 17] {
                let other = Self.parse(input, chunkSize: chunkSize)
                guard other.header == reference.header, other.outcomes == reference.outcomes, other.failure == reference.failure else {
                    Issue.record("chunk size \(chunkSize) reads differently (FUZZ_SEED=\(seed)), input: \(input)")
                    return
                }
            }
            if iterations >= corpus.count && inputs.count < 200 && reference.outcomes.count > 1 { inputs.append(input) }
            iterations += 1
        }
        print("csv fuzz: \(iterations) inputs, seed \(seed)")
    }

    static let formats: [(any Normalizer, String)] = [
        (SSNNormalizer(), #"^\d{3}-\d{2}-\d{4}$"#),
        (PhoneNormalizer(), #"^[2-9]\d{2}-[2-9]\d{2}-\d{4}$"#),
        (DateNormalizer(), #"^\d{4}-\d{2}-\d{2}$"#),
        (MoneyNormalizer(), #"^-?\d+\.\d{2}$"#),
    ]

    @Test func normalisersOutputOnlyTheDocumentedFormatsAndAreFixedPoints() throws {
        let corpus = try String(contentsOfFile: repositoryPath("Tests/Fixtures/fuzz/values.txt"), encoding: .utf8).components(separatedBy: "\n")
        let alphabet = Array("0123456789012345678901234567890123456789-/.,() $+xX ext:#GMTThuDec\u{00A0}１٣é\t")
        let seed = Self.seed
        var random = SplitMix64(seed: seed)
        let deadline = Date().addingTimeInterval(Self.budget)
        var iterations = 0
        while iterations < corpus.count || Date() < deadline {
            let value = iterations < corpus.count ? corpus[iterations]
                : String((0..<Int.random(in: 0...20, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            for (normalizer, format) in Self.formats {
                let outcome = normalizer.normalize(value)
                var bytes = Array(value.utf8)
                let viaBytes = bytes.withUnsafeMutableBufferPointer { normalizer.normalize(utf8: UnsafeBufferPointer($0)) }
                guard viaBytes == outcome else {
                    Issue.record("\(type(of: normalizer).name): bytes and string disagree on \"\(value)\" (FUZZ_SEED=\(seed))")
                    return
                }
                guard case let .value(normalized, _) = outcome else { continue }
                guard normalized.range(of: format, options: .regularExpression) != nil else {
                    Issue.record("\(type(of: normalizer).name): \"\(value)\" → \"\(normalized)\", not \(format) (FUZZ_SEED=\(seed))")
                    return
                }
                guard case .value(normalized, _) = normalizer.normalize(normalized) else {
                    Issue.record("\(type(of: normalizer).name): \"\(normalized)\" does not normalise to itself (FUZZ_SEED=\(seed))")
                    return
                }
            }
            iterations += 1
        }
        print("normaliser fuzz: \(iterations) values, seed \(seed)")
    }
}
