import Foundation
import Yams

/// Reads an export pipeline (`source: { scollect: … }`, `sink`, `columns`, `target`,
/// `reports`). Like `PipelineLoader`, every mistake names file, line and column, and unknown
/// keys are errors.
public enum ExportPipelineLoader {
    /// True when the file's `source` section has a `scollect` key: an export, not a load.
    /// A file that cannot be read or parsed is not called an export (the load pipeline loader
    /// then reports what is wrong with it).
    public static func isExportPipeline(path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              YAMLAnchorCheck.firstAnchorOrAlias(in: text) == nil, // the loader refuses them
              let root = try? Yams.compose(yaml: text), case let .mapping(top) = root,
              let source = top.first(where: { $0.key.string == "source" })?.value, case let .mapping(section) = source
        else { return false }
        return section.contains { $0.key.string == "scollect" }
    }

    public static func load(path: String) throws -> ExportPipelineConfig {
        try parse(try PipelineLoader.readText(path: path), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> ExportPipelineConfig {
        let root = try PipelineLoader.compose(text, file: file)
        let resolve = PipelineLoader.pathResolver(for: file)
        let top = try ExportSections.top.validate(ConfigNode(node: root, file: file, path: ""))
        let name = try top["name"]?.string() ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent

        // source.scollect
        let source = try ExportSections.source.validate(try top.required("source"))
        let scollect = try ExportSections.scollect.validate(try source.required("scollect"))
        let portfoliosNode = try scollect.required("portfolios")
        let portfolios: ExportPipelineConfig.Portfolios
        if case .scalar = portfoliosNode.node, try portfoliosNode.string() == "all" {
            portfolios = .all
        } else {
            guard case .sequence = portfoliosNode.node else {
                throw portfoliosNode.error("source.scollect.portfolios is a list of portfolio names, or all")
            }
            let names = try portfoliosNode.stringList()
            guard !names.isEmpty else { throw portfoliosNode.error("source.scollect.portfolios names no portfolio (use all for every one)") }
            portfolios = .named(names)
        }
        var includes: [ExportPipelineConfig.Include] = []
        if let includeNode = scollect["include"] {
            for item in try includeNode.list() {
                let include = ExportPipelineConfig.Include(rawValue: try item.oneOf(ExportPipelineConfig.Include.allCases.map(\.rawValue)))!
                if includes.contains(include) { throw item.error("\(include.rawValue) is included twice") }
                includes.append(include)
            }
        }

        // sink
        let sinkSection = try ExportSections.sink.validate(try top.required("sink"))
        let sinkPath = resolve(try sinkSection.required("file").string())
        let format: ExportPipelineConfig.Format
        if let node = sinkSection["format"] {
            format = ExportPipelineConfig.Format(rawValue: try node.oneOf(ExportPipelineConfig.Format.allCases.map(\.rawValue)))!
        } else {
            let ext = URL(fileURLWithPath: sinkPath.hasSuffix(".gz") ? String(sinkPath.dropLast(3)) : sinkPath).pathExtension.lowercased()
            guard let guessed = ExportPipelineConfig.Format(rawValue: ext) else {
                throw try sinkSection.required("file").error("sink.format is needed: the file's extension names no format (csv, xlsx, json, ndjson)")
            }
            format = guessed
        }
        let gzip = try sinkSection["gzip"]?.bool() ?? false
        let sheet = try sinkSection["sheet"]?.string() ?? "Accounts"
        let formulaGuard = try sinkSection["csv_formula_guard"]?.bool() ?? true
        guard format == .csv || sinkSection["csv_formula_guard"] == nil else {
            throw sinkSection["csv_formula_guard"]!.error("sink.csv_formula_guard applies to the csv format only")
        }
        guard format == .xlsx || sinkSection["sheet"] == nil else { throw sinkSection["sheet"]!.error("sink.sheet applies to the xlsx format only") }
        guard sheet.count <= 31, !sheet.contains(where: { "[]:*?/\\".contains($0) }) else {
            throw sinkSection["sheet"]!.error("sink.sheet must be at most 31 characters, none of []:*?/\\")
        }

        // columns
        var columns: [ExportColumn] = []
        for node in try top.required("columns").list() {
            let section = try ExportSections.column.validate(node)
            let fromNode = try section.required("from")
            let fromText = try fromNode.string()
            guard let columnSource = ExportColumn.source(from: fromText) else {
                throw fromNode.error("\(fromNode.path) must be a field (currentbalance) or an aggregate of an included list: payments.count, payments.first.KEY, payments.last.KEY, payments.sum.KEY; found \"\(fromText)\"")
            }
            let columnName = try section["name"]?.string() ?? fromText
            if columns.contains(where: { $0.name == columnName }) { throw node.error("two columns are named \"\(columnName)\"") }
            var columnFormat = ExportColumn.Format.text
            switch try section["format"]?.oneOf(ExportColumn.Format.names) ?? "text" {
            case "number": columnFormat = .number
            case "money": columnFormat = .money
            case "ssn": columnFormat = .ssn
            case "ssn_last4": columnFormat = .ssnLast4
            case "ssn_masked": columnFormat = .ssnMasked
            case "date":
                var pattern = ExportDatePattern.iso
                if let dateNode = section["date"] {
                    guard let parsed = ExportDatePattern(try dateNode.string()) else {
                        throw dateNode.error("\(dateNode.path) must be a date pattern of yyyy/yy, MM/M, dd/d and separators, e.g. \"MM/dd/yyyy\"")
                    }
                    pattern = parsed
                }
                columnFormat = .date(pattern)
            default: columnFormat = .text
            }
            if let dateNode = section["date"], columnFormat.pattern == nil {
                throw dateNode.error("\(dateNode.path) applies to format: date only")
            }
            let column = ExportColumn(name: columnName, source: columnSource, format: columnFormat)
            if let needed = column.reads, !includes.contains(needed) {
                throw fromNode.error("\(fromNode.path) reads \(needed.rawValue), which source.scollect.include does not list")
            }
            columns.append(column)
        }
        guard !columns.isEmpty else { throw top.node.error("the export names no columns") }

        // target
        let target = try PipelineLoader.targetSettings(try top.required("target"), resolve: resolve, defaultBatchSize: 200)

        // reports
        let reportsSection = try PipelineSections.reports.validate(try top.required("reports"))
        let reportsFolder = resolve(try reportsSection.required("folder").string())

        return ExportPipelineConfig(file: file, name: name, portfolios: portfolios, includes: includes,
                                    sink: .init(path: sinkPath, format: format, gzip: gzip, sheetName: sheet, csvFormulaGuard: formulaGuard),
                                    columns: columns, target: target, reportsFolder: reportsFolder)
    }
}
