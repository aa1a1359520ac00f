import ArgumentParser
import Foundation
import ScollectETL

/// `scollect-etl guess FILE`: a ready-to-edit pipeline drafted from the file's first rows.
struct GuessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guess",
        abstract: "Draft a pipeline file from a data file's first rows (CSV, XLSX, XML, JSON).",
        discussion: """
        Columns are recognised by their header names and by the shape of their values (SSN-like, \
        phone-like, dates, amounts). The draft maps what was recognised, sets the normalisers and \
        writers, and lists the other columns as comments. No API call is made.

        Examples:
          scollect-etl guess SampleData/placement.xlsx -o Pipelines/new.yml
          scollect-etl guess incoming/acme.csv
        """
    )

    @Argument(help: "The data file.")
    var file: String

    @OptionGroup var fileOptions: DataFileOptions

    @Option(name: .shortAndLong, help: "Write the pipeline to this file (its source path is then relative to it) instead of printing it.")
    var output: String?

    @Option(help: "Rows sampled.")
    var rows = 200

    @Option(help: "target.requests_per_second written into the draft.")
    var requestsPerSecond = 20

    func run() throws {
        // XML: the record element, when not given, is the first element that repeats.
        var record = try fileOptions.words().last { $0.0 == "record" }?.1
        var guessed: [(String, String)] = []
        if try fileOptions.readerName(for: file) == "xml" && record == nil {
            let prefix = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: file)).read(upToCount: 64 * 1024)) ?? nil
            guard let element = PipelineGuesser.guessRecordElement(xmlPrefix: Array(prefix ?? Data())) else {
                printError("error: \(file): no repeating element found; name the record element with --record")
                throw ExitCode(ScollectETL.ExitCode.inputHeld.rawValue)
            }
            record = element
            guessed.append(("record", element))
        }
        let source = try fileOptions.source(for: file, adding: guessed)
        let reader: any RecordReader
        do {
            reader = try ReaderRegistry.open(source)
        } catch {
            printError("error: \(error)")
            throw ExitCode(ScollectETL.ExitCode.inputHeld.rawValue)
        }
        var sample: [[String]] = []
        while sample.count < rows, let result = try reader.next() {
            if case let .record(record) = result { sample.append(record.values) }
        }
        let guesser = PipelineGuesser(header: reader.header, rows: sample)
        let absolute = URL(fileURLWithPath: file).standardized.path
        let name = String(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            .lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
        // Reports in reports/<name> of the working folder (the repository's root, which the
        // samples name ../reports/… from Pipelines/), never beside the draft: a Pipelines/reports/
        // folder would hold full SSNs among files under version control.
        let reports = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("reports/" + name).standardized.path
        var sourcePath = absolute
        var reportsFolder = reports
        if let output {
            let folder = URL(fileURLWithPath: output).deletingLastPathComponent().standardized.path
            sourcePath = relativePath(from: folder, to: absolute)
            reportsFolder = relativePath(from: folder, to: reports)
        }
        let text = guesser.pipelineText(name: name, sourcePath: sourcePath, reader: source.reader, record: record,
                                        requestsPerSecond: requestsPerSecond, reportsFolder: reportsFolder)
        if let output {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
            printError("wrote \(output): \(guesser.columns.filter { $0.field != nil }.count) of \(guesser.columns.count) columns mapped")
        } else {
            print(text, terminator: "")
        }
    }

    /// `to` relative to the folder `from` (both absolute, standardised).
    func relativePath(from folder: String, to path: String) -> String {
        let base = folder.split(separator: "/")
        let target = path.split(separator: "/")
        var common = 0
        while common < min(base.count, target.count) && base[common] == target[common] { common += 1 }
        let ups = Array(repeating: "..", count: base.count - common)
        return (ups + target[common...].map(String.init)).joined(separator: "/")
    }
}
