import ArgumentParser
import Foundation
import ScollectETL

/// `scollect-etl preview FILE|PIPELINE`: the records as the reader sees them, or, given a
/// pipeline, after mapping and normalisation with each row's reject reason. No API call.
struct PreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Show a file's records as the reader sees them, or a pipeline's rows after mapping and normalisation.",
        discussion: """
        Given a data file: its records. Given a pipeline (.yml): each row's mapped and normalised \
        fields (a value that does not normalise is shown as it is in the file), why the row would \
        be rejected (checked as the writers check it before any call), and its warnings (the row \
        goes on). No API call is made.

        Examples:
          scollect-etl preview SampleData/placement.xlsx --rows 5
          scollect-etl preview Pipelines/nightly-placement.yml --format jsonl
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, jsonl
    }

    @Argument(help: "A data file, or a pipeline file (.yml/.yaml).")
    var file: String

    @OptionGroup var fileOptions: DataFileOptions

    @Option(name: .shortAndLong, help: "Rows shown (0 = all).")
    var rows = 20

    @Option(help: "table (aligned, for people) or jsonl (one JSON object a row).")
    var format: Format = .table

    @Option(help: "With a pipeline: read this file instead of its source.")
    var input: String?

    func run() throws {
        let isPipeline = file.hasSuffix(".yml") || file.hasSuffix(".yaml")
        var config: PipelineConfig?
        let source: PipelineConfig.Source
        do {
            if isPipeline {
                config = try PipelineLoader.load(path: file)
                var pipelineSource = config!.source
                if let input { pipelineSource.path = input } else if InputFiles.isPattern(pipelineSource.path), let newest = InputFiles.newest(pipelineSource.path) {
                    pipelineSource.path = newest
                }
                source = pipelineSource
            } else {
                source = try fileOptions.source(for: file)
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            printError("error: \(error)")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        let reader: any RecordReader
        var mapper: RowMapper?
        do {
            reader = try ReaderRegistry.open(source)
            if let config { mapper = try RowMapper(config: config, header: reader.header, inputFile: source.path) }
        } catch {
            printError("error: \(error)")
            throw ExitCode(ScollectETL.ExitCode.inputHeld.rawValue)
        }
        for notice in reader.notices { printError("notice: \(notice)") }

        let columns = mapper == nil ? reader.header : ["_row"] + config!.mapping.map(\.field) + ["_reject", "_warnings"]
        // Without a pipeline, card and bank columns are recognised by their headers and masked.
        let rawFields = PipelineGuesser(header: reader.header, rows: []).columns.map { $0.evidence == "header" ? $0.field : nil }
        var table: [[String]] = []
        var shown = 0
        while rows == 0 || shown < rows, let result = try reader.next() {
            shown += 1
            switch result {
            case let .malformed(row, line, message, _):
                emit(columns: columns, values: mapper == nil ? [] : ["\(row)"], reject: PreviewCommand.shownMessage("MALFORMED_ROW: line \(line): \(message)"),
                     warnings: [], row: row, into: &table)
            case let .record(record):
                guard let mapper, let config else {
                    let values = record.values.enumerated().map { index, value in
                        PreviewCommand.shown(value, field: index < rawFields.count ? rawFields[index] ?? "" : "")
                    }
                    emit(columns: columns, values: values, reject: nil, warnings: [], row: record.row, into: &table)
                    continue
                }
                switch mapper.map(record) {
                case let .row(row):
                    let values = config.mapping.map { mapping -> String in
                        switch row[mapping.field] {
                        case let .value(text)?: return PreviewCommand.shown(text, field: mapping.field)
                        case .clear?: return "<CLEAR>"
                        case nil: return ""
                        }
                    }
                    let issue = config.writers.lazy.compactMap { $0.check(row) }.first
                    emit(columns: columns, values: ["\(record.row)"] + values, reject: issue.map { PreviewCommand.shownMessage("\($0.reason): \($0.message)") },
                         warnings: PreviewCommand.described(row.warnings), row: record.row, into: &table)
                case let .rejected(issues, warnings):
                    // The row's other values still show: the one to fix is found among them.
                    let values = config.mapping.map { mapping -> String in
                        PreviewCommand.shown(PreviewCommand.normalizedOrRaw(record, field: mapping.field, mapper: mapper, config: config), field: mapping.field)
                    }
                    emit(columns: columns, values: ["\(record.row)"] + values,
                         reject: PreviewCommand.shownMessage(issues.map { "\($0.reason): \($0.message)" }.joined(separator: "; ")),
                         warnings: PreviewCommand.described(warnings), row: record.row, into: &table)
                }
            }
        }
        if format == .table { printTable(columns: columns, rows: table) }
    }

    /// Card data and SSNs are masked even here: a preview is read over shoulders and pasted
    /// into tickets. (The rejects report is the one place that keeps the input's values.)
    static func shown(_ value: String, field: String) -> String {
        if field == "threedigitnumber" { return value.isEmpty ? "" : "***" }
        if field == "socialsecuritynumber" { return value.isEmpty ? "" : Masking.maskSSN(value) }
        return Masking.rejectColumnMask(forField: field)?(value) ?? Masking.maskCardNumbers(in: Masking.maskSSNs(in: value))
    }

    static func shownMessage(_ text: String) -> String { Masking.maskCardNumbers(in: Masking.maskSSNs(in: text)) }

    static func described(_ warnings: [RowIssue]) -> [String] { warnings.map { shownMessage("\($0.reason): \($0.message)") } }

    /// A rejected row's field: normalised when its value normalises, else as in the file.
    static func normalizedOrRaw(_ record: SourceRecord, field: String, mapper: RowMapper, config: PipelineConfig) -> String {
        guard let column = mapper.sourceColumn(of: field) else { return "" }
        let raw = record.value(at: column)
        guard let normalizer = config.normalizations[field]?.normalizer else { return raw }
        switch normalizer.normalize(raw) {
        case let .value(value, _): return value
        case .blank: return ""
        case .invalid: return raw
        }
    }

    func emit(columns: [String], values: [String], reject: String?, warnings: [String], row: Int, into table: inout [[String]]) {
        switch format {
        case .jsonl:
            var pairs: [(String, JSONValue)] = []
            if mapperMode(columns) {
                pairs.append(("row", .number(Double(row))))
                pairs.append(("fields", .object(zip(columns.dropFirst().dropLast(2), values.dropFirst()).map { ($0, .string($1)) })))
                pairs.append(("reject", reject.map(JSONValue.string) ?? .null))
                pairs.append(("warnings", .array(warnings.map(JSONValue.string))))
            } else {
                pairs.append(("row", .number(Double(row))))
                if let reject { pairs.append(("malformed", .string(reject))) }
                pairs.append(("values", .object(zip(columns, values + Array(repeating: "", count: max(0, columns.count - values.count))).map { ($0, .string($1)) })))
            }
            print(JSONValue.object(pairs).serialized)
        case .table:
            var line = values
            if mapperMode(columns) { line += [reject ?? "", warnings.joined(separator: "; ")] } else if let reject { line = ["(row \(row)) " + reject] }
            table.append(line)
        }
    }

    func mapperMode(_ columns: [String]) -> Bool { columns.first == "_row" && columns.last == "_warnings" }

    func printTable(columns: [String], rows: [[String]]) {
        let cap = 40
        func cut(_ text: String) -> String {
            let flat = text.replacingOccurrences(of: "\n", with: "⏎").replacingOccurrences(of: "\r", with: "")
            return flat.count > cap ? String(flat.prefix(cap - 1)) + "…" : flat
        }
        var widths = columns.map { min(cap, $0.count) }
        for row in rows { for (i, value) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], min(cap, cut(value).count)) } }
        func format(_ values: [String]) -> String {
            values.enumerated().map { i, value in
                let text = cut(value)
                return i < widths.count ? text.padding(toLength: widths[i], withPad: " ", startingAt: 0) : text
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        print(format(columns))
        print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for row in rows { print(format(row)) }
    }
}
