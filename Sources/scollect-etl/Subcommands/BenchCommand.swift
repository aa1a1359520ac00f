import ArgumentParser
import Foundation
import ScollectETL

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that print figures (see Benchmarks/README.md).",
        subcommands: [Generate.self, Read.self, BenchCallsCommand.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an N-row, 30-column placement CSV with the sample file's columns and mess.")

        @Option(help: "Number of data rows.")
        var rows = 1_000_000

        @Option(help: "Output file.")
        var output: String

        @Option(help: "Share of rows with a value that must be rejected (0–1).")
        var badShare = 0.01

        @Flag(help: "Messier: line breaks inside quoted cells, doubled quotes, non-ASCII text in two rows of three, amounts with currency codes.")
        var messy = false

        func run() throws {
            let started = Date()
            var generator = PlacementGenerator(seed: 42, badShare: badShare, messy: messy)
            let bytes = try generator.write(rows: rows, to: output)
            print(String(format: "wrote %d rows, %.1f MB to %@ in %.1f s", rows, Double(bytes) / 1e6, output, Date().timeIntervalSince(started)))
        }
    }

    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read + map + normalise a file through a pipeline, without the API; print rows/s and peak memory.")

        @Argument(help: "The pipeline whose reader, mapping and normalisers are used.")
        var pipeline: String

        @Option(help: "The input file (default: the pipeline's source).")
        var input: String?

        @Flag(help: "Only parse the file (no mapping, no normalisation), to see what the reader alone costs.")
        var parseOnly = false

        @Option(help: ArgumentHelp("Write every row's outcome (values, warnings, rejects) to this file, to compare builds.", visibility: .hidden))
        var dump: String?

        func run() throws {
            var config = try PipelineLoader.load(path: pipeline)
            if let input { config.source.path = input }
            let size = (try? FileManager.default.attributesOfItem(atPath: config.source.path)[.size] as? Int) ?? 0
            let started = Date()
            let reader = try ReaderRegistry.open(config.source)
            let mapper = try RowMapper(config: config, header: reader.header, inputFile: config.source.path)
            var rows = 0, good = 0, rejected = 0, malformed = 0
            if parseOnly {
                while let result = try reader.next() {
                    rows += 1
                    if case .malformed = result { malformed += 1 } else { good += 1 }
                }
            } else {
                // As a run reads: mapped and normalised on two threads, in file order.
                let mapped = MappingReadAhead(reader: reader, mapper: mapper)
                let dumper = try dump.map(OutcomeDump.init(path:))
                while let (result, outcome) = try mapped.next() {
                    rows += 1
                    dumper?.write(result, outcome)
                    switch outcome {
                    case nil: malformed += 1
                    case .row?: good += 1
                    case .rejected?: rejected += 1
                    }
                    _ = result
                }
            }
            let seconds = Date().timeIntervalSince(started)
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let peakMiB = Double(usage.ru_maxrss) / 1024 // ru_maxrss is in KiB on Linux
            print("file          \(config.source.path)")
            print(String(format: "size          %.1f MB", Double(size) / 1e6))
            print("rows          \(rows) (ready \(good), rejected \(rejected), malformed \(malformed))")
            print(String(format: "seconds       %.3f", seconds))
            print(String(format: "rows/s        %.0f", Double(rows) / seconds))
            print(String(format: "MB/s          %.1f", Double(size) / 1e6 / seconds))
            print(String(format: "peak RSS MiB  %.1f", peakMiB))
        }
    }
}

/// `bench read --dump`: one line per row and per issue, in file order, so that the output of two
/// builds can be compared with `diff` (an optimisation must not change a value or a message).
final class OutcomeDump {
    private let handle: FileHandle
    private var buffer = ""

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("cannot write \(path)")
        }
        self.handle = handle
    }

    deinit { flush() }

    func write(_ result: ReadResult, _ outcome: RowMapper.Outcome?) {
        switch outcome {
        case nil:
            buffer += "malformed \(result)\n"
        case let .row(row)?:
            buffer += "row \(row.row) \(row.filenumber)\n"
            for (field, value) in row.values.sorted(by: { $0.key < $1.key }) { buffer += "  \(field) = \(value)\n" }
            for warning in row.warnings { buffer += "  warning \(warning)\n" }
        case let .rejected(issues, warnings)?:
            buffer += "rejected \(result.row)\n"
            for issue in issues { buffer += "  issue \(issue)\n" }
            for warning in warnings { buffer += "  warning \(warning)\n" }
        }
        if buffer.utf8.count > 1 << 20 { flush() }
    }

    func flush() {
        handle.write(Data(buffer.utf8))
        buffer = ""
    }
}
