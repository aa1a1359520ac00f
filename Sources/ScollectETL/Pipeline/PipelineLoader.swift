import Foundation
import Yams

/// Reads a pipeline file. Every mistake is reported with file, line and column; unknown keys
/// are errors (with a "did you mean"), never ignored.
public enum PipelineLoader {
    static let topLevelKeys = ["extends", "name", "source", "mapping", "normalize", "options", "protect", "checks", "writers", "target", "reports", "acknowledgement", "operations", "on_failure", "journal"]

    public static func load(path: String) throws -> PipelineConfig {
        try parse(try readText(path: path), file: path)
    }

    /// A pipeline file's text (load and export pipelines alike).
    static func readText(path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PipelineError(file: path, "cannot read the pipeline file: \(error.localizedDescription)")
        }
    }

    /// The YAML's root node; syntax errors name the file, line and column.
    static func compose(_ text: String, file: String) throws -> Node {
        try YAMLAnchorCheck.refuseAnchorsAndAliases(in: text, file: file)
        do {
            guard let node = try Yams.compose(yaml: text) else { throw PipelineError(file: file, "the pipeline file is empty") }
            return node
        } catch let error as YamlError {
            throw yamlError(error, file: file, text: text)
        }
    }

    /// Paths in a pipeline file are relative to the file's folder (`~` expanded).
    static func pathResolver(for file: String) -> (String) -> String {
        let baseDirectory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        return { relative in
            let expanded = (relative as NSString).expandingTildeInPath
            return expanded.hasPrefix("/") ? expanded : URL(fileURLWithPath: baseDirectory).appendingPathComponent(expanded).standardized.path
        }
    }

    public static func parse(_ text: String, file: String) throws -> PipelineConfig {
        let top = try topLevel(try compose(text, file: file), file: file, chain: [])
        // A section's relative paths are relative to the file it is written in (an inherited
        // section's to its parent's folder); its errors name that file too.
        func resolver(_ key: String) -> (String) -> String { pathResolver(for: top[key]?.file ?? file) }
        let name = try top["name"]?.string() ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent

        // source
        let allSourceKeys = ["file", "reader"] + ReaderRegistry.all.flatMap(\.optionKeys).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let sourceSection = try top.required("source").section(allowedKeys: allSourceKeys)
        let sourceFile = resolver("source")(try sourceSection.required("file").string())
        // The reader named, else the one the file's extension calls for, else CSV.
        let reader = try sourceSection["reader"]?.oneOf(ReaderRegistry.names) ?? ReaderRegistry.entry(forPath: sourceFile)?.name ?? "csv"
        let readerEntry = ReaderRegistry.entry(named: reader)!
        for key in sourceSection.keys where !["file", "reader"].contains(key) && !readerEntry.optionKeys.contains(key) {
            let owners = ReaderRegistry.all.filter { $0.optionKeys.contains(key) }.map(\.name).joined(separator: ", ")
            throw sourceSection.entries.first { $0.key == key }!.keyNode.error("source.\(key) applies to the \(owners) reader, not to \(reader)")
        }
        var source = PipelineConfig.Source(path: sourceFile, reader: reader)
        if let node = sourceSection["encoding"] {
            source.encoding = PipelineConfig.TextEncoding(rawValue: try node.oneOf(["auto"] + PipelineConfig.TextEncoding.allCases.map(\.rawValue)))
        }
        source.sheet = try sourceSection["sheet"]?.string()
        source.headerRow = try sourceSection["header_row"]?.int(in: 1...1_048_576)
        source.recordElement = try sourceSection["record"]?.string()
        if let node = sourceSection["delimiter"] {
            let text = try node.string()
            switch text {
            case "\\t", "tab", "\t": source.delimiter = 9
            default:
                guard text.utf8.count == 1, let byte = text.utf8.first, byte != 34, byte != 10, byte != 13 else {
                    throw node.error("source.delimiter must be one character such as \",\" \";\" \"|\" or tab")
                }
                source.delimiter = byte
            }
        }

        // mapping: target field <- source column
        var mapping: [PipelineConfig.FieldMapping] = []
        for entry in try top.required("mapping").pairs() {
            // `field: Column`, or `field: [Column, Alias, …]` for files that name it differently.
            let names: [String]
            if case .sequence = entry.value.node { names = try entry.value.stringList() } else { names = [try entry.value.string()] }
            guard let column = names.first, names.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                throw entry.value.error("mapping.\(entry.key) names no source column")
            }
            mapping.append(.init(field: entry.key, column: column, aliases: Array(names.dropFirst()), line: entry.keyNode.line))
        }
        guard mapping.contains(where: { $0.field == "filenumber" }) else {
            throw top.node.error("the mapping must map \"filenumber\" (the Scollect account key) to a source column")
        }
        let mappedFields = mapping.map(\.field)
        source.columns = mapping.flatMap(\.candidates)

        // options
        var settings = NormalizerRegistry.Settings()
        var clearMarker: String?
        var maxRejects: Int?
        var maxRejectRatio: Double?
        var readFromPortfolios: [String] = []
        var readFromPortfoliosNode: ConfigNode?
        var noNewsValues = NoNewsValues(NoNewsValues.defaults)
        if let optionsNode = top["options"] {
            let options = try optionsNode.section(allowedKeys: ["clear_marker", "day_first", "excel_date_system", "max_rejects", "max_reject_ratio", "read_from_portfolios", "no_news_values"])
            // `no_news_values: []` turns the list off; absent, the defaults apply.
            if let node = options["no_news_values"] { noNewsValues = NoNewsValues(try node.stringList()) }
            readFromPortfolios = try options["read_from_portfolios"]?.stringList() ?? []
            readFromPortfoliosNode = options["read_from_portfolios"]
            maxRejects = try options["max_rejects"]?.int(in: 0...Int.max)
            if let node = options["max_reject_ratio"] {
                let ratio = try node.double(minimum: 0)
                guard ratio <= 1 else { throw node.error("options.max_reject_ratio is a share between 0 and 1, e.g. 0.05") }
                maxRejectRatio = ratio
            }
            if let node = options["clear_marker"] {
                let marker = try node.string()
                guard !marker.trimmingCharacters(in: .whitespaces).isEmpty else { throw node.error("options.clear_marker cannot be blank: a blank cell means \"no news\"") }
                clearMarker = marker
            }
            settings.dayFirst = try options["day_first"]?.bool() ?? false
            if let node = options["excel_date_system"] {
                settings.excelDateSystem = try node.oneOf(["1900", "1904"]) == "1904" ? .system1904 : .system1900
            }
        }

        // normalize
        var normalizations: [String: PipelineConfig.FieldNormalization] = [:]
        if let normalizeNode = top["normalize"] {
            for entry in try normalizeNode.pairs() {
                guard mappedFields.contains(entry.key) else {
                    let hint = closestMatch(to: entry.key, in: mappedFields).map { " — did you mean \"\($0)\"?" } ?? ""
                    try ConfigProblems.report(entry.keyNode.error("normalize.\(entry.key): \"\(entry.key)\" is not in the mapping\(hint)"))
                    continue
                }
                var typeNode = entry.value
                var onError = PipelineConfig.OnError.reject
                var fieldSettings = settings
                if case .mapping = entry.value.node {
                    let section = try entry.value.section(allowedKeys: ["type", "on_error", "day_first", "excel_date_system"])
                    typeNode = try section.required("type")
                    if let node = section["on_error"] { onError = PipelineConfig.OnError(rawValue: try node.oneOf(["reject", "drop_field"]))! }
                    if let node = section["day_first"] { fieldSettings.dayFirst = try node.bool() }
                    if let node = section["excel_date_system"] {
                        fieldSettings.excelDateSystem = try node.oneOf(["1900", "1904"]) == "1904" ? .system1904 : .system1900
                    }
                }
                let typeName = try typeNode.oneOf(NormalizerRegistry.names)
                normalizations[entry.key] = .init(normalizer: NormalizerRegistry.make(typeName, settings: fieldSettings)!, onError: onError)
            }
        }
        for field in mappedFields where normalizations[field] == nil {
            normalizations[field] = .init(normalizer: TextNormalizer(), onError: .reject)
        }

        // protect: statuses a load leaves alone
        var protection = PipelineConfig.Protection()
        if let protectNode = top["protect"] {
            let section = try protectNode.section(allowedKeys: ["account_statuses", "phone_statuses"])
            protection = PipelineConfig.Protection(accountStatuses: Set(try section["account_statuses"]?.stringList() ?? []),
                                                   phoneStatuses: Set(try section["phone_statuses"]?.stringList() ?? []))
        }

        // writers
        let writerContext = WriterContext(mappedFields: mappedFields, normalizers: normalizations.mapValues(\.normalizer), protection: protection)
        let writerEntries = try top.required("writers").list().map { try writerEntry($0) }
        guard !writerEntries.isEmpty else { throw top.node.error("the pipeline names no writers") }
        // Two passes: a writer's defaults may depend on what the others consume.
        var consumedByAll: [Set<String>] = []
        for entry in writerEntries {
            consumedByAll.append(try entry.type.init(options: entry.options, context: writerContext, otherWriterFields: []).consumedFields)
        }
        var writers: [any APIWriter] = []
        for (index, entry) in writerEntries.enumerated() {
            let others = consumedByAll.enumerated().filter { $0.offset != index }.reduce(into: Set<String>()) { $0.formUnion($1.element) }
            writers.append(try entry.type.init(options: entry.options, context: writerContext, otherWriterFields: others))
        }

        // target
        // From here on, a section's problem does not hide the next sections' (validate lists them all).
        let target = try ConfigProblems.section(.embeddedSandbox()) { try targetSettings(try top.required("target"), resolve: resolver("target"), defaultBatchSize: 500) }

        // reports
        let reportsFolder = try ConfigProblems.section("") {
            resolver("reports")(try top.required("reports").section(allowedKeys: ["folder"]).required("folder").string())
        }

        var config = PipelineConfig(file: file, name: name,
                                    source: source,
                                    mapping: mapping, normalizations: normalizations, clearMarker: clearMarker,
                                    maxRejects: maxRejects, maxRejectRatio: maxRejectRatio,
                                    writers: writers, protection: protection, target: target, reportsFolder: reportsFolder)
        config.noNewsValues = noNewsValues
        if let node = readFromPortfoliosNode, !readFromPortfolios.isEmpty {
            // The listing stands in for getaccount/getphones only when it shows every field compared.
            for writer in writers {
                guard writer is UpdateDbaseWriter || writer is InsertPhoneWriter else {
                    throw node.error("options.read_from_portfolios: the \(type(of: writer).name) writer needs reads the portfolio listing does not give; remove it or this option")
                }
                if let dbase = writer as? UpdateDbaseWriter, let missing = dbase.fields.first(where: { !PortfolioListing.coveredFields.contains($0) }) {
                    throw node.error("options.read_from_portfolios: \"\(missing)\" is not in the portfolio listing (it shows \(PortfolioListing.coveredFields.count) dbase fields); list the fields updatedbase sends with fields: or read per account")
                }
            }
            if !protection.accountStatuses.isEmpty {
                throw node.error("options.read_from_portfolios: the listing shows no account status, so protect.account_statuses needs getaccount per account")
            }
            config.readFromPortfolios = readFromPortfolios
        }
        config.onFailure = try ConfigProblems.section(nil) { try FailureCommand.parse(top["on_failure"], resolve: resolver("on_failure")) }
        if let node = top["journal"] {
            config.journalRetentionDays = try ConfigProblems.section(config.journalRetentionDays) { try node.section(allowedKeys: ["retention_days"]).required("retention_days").int(in: 1...36_500) }
        }
        if let node = top["checks"] { config.checks = try ConfigProblems.section(config.checks) { try fileChecks(node, mappedFields: mappedFields, normalizations: normalizations) } }
        if let node = top["acknowledgement"] {
            let section = try node.section(allowedKeys: ["format", "folder"])
            var acknowledgement = PipelineConfig.Acknowledgement()
            if let format = section["format"] { acknowledgement.format = .init(rawValue: try format.oneOf(PipelineConfig.Acknowledgement.Format.allCases.map(\.rawValue)))! }
            acknowledgement.folder = try section["folder"].map { resolver("acknowledgement")(try $0.string()) }
            config.acknowledgement = acknowledgement
        }
        if let node = top["operations"] {
            let section = try node.section(allowedKeys: ["refuse_reloaded_input", "archive_folder", "error_folder"])
            config.operations.refuseReloadedInput = try section["refuse_reloaded_input"]?.bool() ?? true
            config.operations.archiveFolder = try section["archive_folder"].map { resolver("operations")(try $0.string()) }
            config.operations.errorFolder = try section["error_folder"].map { resolver("operations")(try $0.string()) }
        }
        return config
    }

    /// The top-level sections of a pipeline file, its `extends:` chain resolved: the parent's
    /// sections (its `name` excepted), each replaced whole by the child's section of the same
    /// name (`source`, `mapping`, `checks`…: a child's `mapping` is the whole mapping).
    static func topLevel(_ root: Node, file: String, chain: [String]) throws -> ConfigSection {
        let top = try ConfigNode(node: root, file: file, path: "").section(allowedKeys: topLevelKeys)
        guard let extendsNode = top["extends"] else { return top }
        let parentPath = pathResolver(for: file)(try extendsNode.string())
        guard !chain.contains(parentPath), parentPath != file else {
            throw extendsNode.error("extends: \(parentPath) extends this file again (a loop)")
        }
        guard FileManager.default.fileExists(atPath: parentPath) else {
            throw extendsNode.error("extends: no pipeline file \(parentPath)")
        }
        let parent = try topLevel(try compose(try readText(path: parentPath), file: parentPath), file: parentPath, chain: chain + [file])
        let own = top.entries.filter { $0.key != "extends" }
        var entries = parent.entries.filter { $0.key != "name" }.map { inherited in own.first { $0.key == inherited.key } ?? inherited }
        entries += own.filter { entry in !entries.contains { $0.key == entry.key } }
        return ConfigSection(node: top.node, entries: entries)
    }

    /// `checks:` (see `FileChecks`). Every field named must be mapped, with the right normaliser.
    static func fileChecks(_ node: ConfigNode, mappedFields: [String], normalizations: [String: PipelineConfig.FieldNormalization]) throws -> FileChecks {
        let section = try node.section(allowedKeys: ["required", "duplicate_filenumbers", "control_total", "no_future_dates", "balance_adds_up"])
        func mapped(_ node: ConfigNode, as normalizer: String? = nil) throws -> String {
            let field = try node.string()
            guard mappedFields.contains(field) else {
                let hint = closestMatch(to: field, in: mappedFields).map { " — did you mean \"\($0)\"?" } ?? ""
                throw node.error("\"\(field)\" is not in the mapping\(hint)")
            }
            if let normalizer, let actual = normalizations[field].map({ type(of: $0.normalizer).name }), actual != normalizer {
                throw node.error("\"\(field)\" must be normalised as \(normalizer) for this check (it is \(actual))")
            }
            return field
        }
        /// `[fields]` or `{ fields: [...], on_fail: hold | reject_row }`.
        func fieldsAndAction(_ node: ConfigNode, as normalizer: String? = nil) throws -> ([String], FileChecks.Action) {
            if case .sequence = node.node { return (try node.list().map { try mapped($0, as: normalizer) }, .rejectRow) }
            let entry = try node.section(allowedKeys: ["fields", "on_fail"])
            let fields = try entry.required("fields").list().map { try mapped($0, as: normalizer) }
            let action = try entry["on_fail"].map { FileChecks.Action(rawValue: try $0.oneOf(["hold", "reject_row"]))! } ?? .rejectRow
            return (fields, action)
        }
        var checks = FileChecks()
        if let node = section["required"] { (checks.required, checks.requiredAction) = try fieldsAndAction(node) }
        if let node = section["no_future_dates"] { (checks.noFutureDates, checks.futureDatesAction) = try fieldsAndAction(node, as: DateNormalizer.name) }
        if let node = section["duplicate_filenumbers"] {
            checks.duplicates = FileChecks.DuplicatePolicy(rawValue: try node.oneOf(FileChecks.DuplicatePolicy.allCases.map(\.rawValue)))
        }
        if let node = section["control_total"] {
            let entry = try node.section(allowedKeys: ["trailer_marker", "sum_of"])
            checks.controlTotal = FileChecks.ControlTotal(trailerMarker: try entry.required("trailer_marker").string(),
                                                          sumOf: try entry["sum_of"].map { try mapped($0, as: MoneyNormalizer.name) })
        }
        if let node = section["balance_adds_up"] {
            let entry = try node.section(allowedKeys: ["total", "parts", "tolerance", "on_fail"])
            checks.balance = FileChecks.BalanceRule(
                total: try mapped(try entry.required("total"), as: MoneyNormalizer.name),
                parts: try entry.required("parts").list().map { try mapped($0, as: MoneyNormalizer.name) },
                tolerance: Decimal(try entry["tolerance"]?.double(minimum: 0) ?? 0.005),
                action: try entry["on_fail"].map { FileChecks.Action(rawValue: try $0.oneOf(["hold", "reject_row"]))! } ?? .rejectRow)
        }
        return checks
    }

    /// `- updatedbase: {…}` or a bare `- updatedbase`.
    private static func writerEntry(_ node: ConfigNode) throws -> (type: any APIWriter.Type, options: ConfigSection) {
        let name: String
        let keyNode: ConfigNode
        var optionsNode: ConfigNode?
        if case .scalar = node.node {
            name = try node.string()
            keyNode = node
        } else {
            let pairs = try node.pairs()
            guard pairs.count == 1 else { throw node.error("each item under writers names one writer, e.g. \"- updatedbase:\"") }
            name = pairs[0].key
            keyNode = pairs[0].keyNode
            optionsNode = pairs[0].value.isNull ? nil : pairs[0].value
        }
        guard let type = WriterRegistry.writer(named: name) else {
            let hint = closestMatch(to: name, in: WriterRegistry.names).map { " — did you mean \"\($0)\"?" } ?? ""
            throw keyNode.error("unknown writer \"\(name)\"\(hint) (available: \(WriterRegistry.names.joined(separator: ", ")))")
        }
        let options = try optionsNode?.section(allowedKeys: type.optionKeys)
            ?? ConfigSection(node: ConfigNode(node: keyNode.node, file: node.file, path: "writers.\(name)"), entries: [])
        return (type, options)
    }

    /// The `target:` section, the same for load and export pipelines.
    static func targetSettings(_ node: ConfigNode, resolve: (String) -> String, defaultBatchSize: Int) throws -> PipelineConfig.Target {
        let section = try node.section(allowedKeys: ["url", "requests_per_second", "max_in_flight", "batch_size", "timeout_seconds", "sandbox_seed", "retry"])
        let urlNode = try section.required("url")
        let url = try urlNode.string()
        if url != "sandbox", !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            throw urlNode.error("target.url must be \"sandbox\" or an https:// base URL, found \"\(url)\"")
        }
        if url != "sandbox" {
            do { try URLPolicy.check(url, source: "target.url") } catch { throw urlNode.error("\(error)") }
        }
        var target = PipelineConfig.Target(
            url: url,
            requestsPerSecond: try section.required("requests_per_second").double(minimum: 0.01),
            maxInFlight: try section["max_in_flight"]?.int(in: 1...64) ?? 4,
            batchSize: try section["batch_size"]?.int(in: 1...100_000) ?? defaultBatchSize,
            timeoutSeconds: try section["timeout_seconds"]?.double(minimum: 1) ?? 30,
            sandboxSeedFiles: try section["sandbox_seed"]?.stringList().map(resolve) ?? []
        )
        if let node = section["retry"] {
            let retry = try node.section(allowedKeys: ["max_attempts", "base_delay_seconds", "max_delay_seconds"])
            target.retry = RetryPolicy(maxAttempts: try retry["max_attempts"]?.int(in: 1...20) ?? target.retry.maxAttempts,
                                       baseDelay: try retry["base_delay_seconds"]?.double(minimum: 0) ?? target.retry.baseDelay,
                                       maxDelay: try retry["max_delay_seconds"]?.double(minimum: 0) ?? target.retry.maxDelay)
        }
        return target
    }

    private static func yamlError(_ error: YamlError, file: String, text: String) -> PipelineError {
        switch error {
        case let .duplicatedKeysInMapping(duplicates, context):
            // Name the line of the second occurrence: that is the one to remove or rename.
            let key = duplicates.first ?? "?"
            let lines = text.components(separatedBy: "\n").enumerated().filter { _, line in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                return trimmed.hasPrefix(key + ":") || trimmed.hasPrefix("\"\(key)\":")
            }.map { $0.offset + 1 }.filter { $0 >= context.mark.line }
            let line = lines.count > 1 ? lines[1] : context.mark.line
            return PipelineError(file: file, line: line, "\"\(key)\" appears twice in the same section (first on line \(lines.first ?? context.mark.line))")
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return PipelineError(file: file, line: mark.line, column: mark.column, "YAML syntax: \(what)")
        case let .composer(context, problem, mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return PipelineError(file: file, line: mark.line, column: mark.column, "YAML: \(what)")
        default:
            return PipelineError(file: file, "YAML: \(error)")
        }
    }
}
