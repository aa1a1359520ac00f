import Foundation
import Yams

/// Reads a pipeline file. Every mistake is reported with file, line and column; unknown keys
/// are errors (with a "did you mean"), never ignored.
public enum PipelineLoader {
    public static func load(path: String, catalog: ComponentCatalog = .builtIn) throws -> PipelineConfig {
        try parse(try readText(path: path), file: path, catalog: catalog)
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

    public static func parse(_ text: String, file: String, catalog: ComponentCatalog = .builtIn) throws -> PipelineConfig {
        let top = try topLevel(try compose(text, file: file), file: file, chain: [], catalog: catalog)
        for option in PipelineSections.top(catalog).options where option.required { _ = try top.required(option.name) }
        // A section's relative paths are relative to the file it is written in (an inherited
        // section's to its parent's folder); its errors name that file too.
        func resolver(_ key: String) -> (String) -> String { pathResolver(for: top[key]?.file ?? file) }
        let name = try top["name"]?.string() ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent

        var source = try sourceSettings(try top.required("source"), resolve: resolver("source"), catalog: catalog)
        let mapping = try fieldMappings(try top.required("mapping"))
        guard mapping.contains(where: { $0.field == "filenumber" }) else {
            throw top.node.error("the mapping must map \"filenumber\" (the Scollect account key) to a source column")
        }
        let mappedFields = mapping.map(\.field)
        source.columns = mapping.flatMap(\.candidates)

        // options
        let options = try top["options"].map { try PipelineSections.options.validate($0) }
        var clearMarker: String?
        var maxRejectRatio: Double?
        let maxRejects = try options?["max_rejects"]?.int(in: 0...Int.max)
        if let node = options?["max_reject_ratio"] {
            let ratio = try node.double(minimum: 0)
            guard ratio <= 1 else { throw node.error("options.max_reject_ratio is a share between 0 and 1, e.g. 0.05") }
            maxRejectRatio = ratio
        }
        if let node = options?["clear_marker"] {
            let marker = try node.string()
            guard !marker.trimmingCharacters(in: .whitespaces).isEmpty else { throw node.error("options.clear_marker cannot be blank: a blank cell means \"no news\"") }
            clearMarker = marker
        }

        let normalizations = try fieldNormalizations(top["normalize"], mappedFields: mappedFields, pipelineOptions: options, catalog: catalog)

        // protect: statuses a load leaves alone
        var protection = PipelineConfig.Protection()
        if let protectNode = top["protect"] {
            let section = try PipelineSections.protect.validate(protectNode)
            protection = PipelineConfig.Protection(accountStatuses: Set(try section["account_statuses"]?.stringList() ?? []),
                                                   phoneStatuses: Set(try section["phone_statuses"]?.stringList() ?? []))
        }

        let writerContext = WriterContext(mappedFields: mappedFields, normalizers: normalizations.mapValues(\.normalizer), protection: protection)
        let writers = try writerList(try top.required("writers"), context: writerContext, catalog: catalog)
        // From here on, a section's problem does not hide the next sections' (validate lists them all).
        let target = try ConfigProblems.section(.embeddedSandbox()) { try targetSettings(try top.required("target"), resolve: resolver("target"), defaultBatchSize: 500) }
        let reportsFolder = try ConfigProblems.section("") {
            resolver("reports")(try PipelineSections.reports.validate(try top.required("reports")).required("folder").string())
        }

        var config = PipelineConfig(file: file, name: name,
                                    source: source,
                                    mapping: mapping, normalizations: normalizations, clearMarker: clearMarker,
                                    maxRejects: maxRejects, maxRejectRatio: maxRejectRatio,
                                    writers: writers, protection: protection, target: target, reportsFolder: reportsFolder)
        // `no_news_values: []` turns the list off; absent, the defaults apply.
        if let node = options?["no_news_values"] { config.noNewsValues = NoNewsValues(try node.stringList()) }
        let portfolios = try options?["read_from_portfolios"]?.stringList() ?? []
        if let node = options?["read_from_portfolios"], !portfolios.isEmpty {
            // The listing stands in for getaccount/getphones only when it shows every field compared.
            for writer in writers {
                guard writer.readsFromPortfolioListing else {
                    throw node.error("options.read_from_portfolios: the \(type(of: writer).name) writer needs reads the portfolio listing does not give; remove it or this option")
                }
                if let missing = writer.comparedFields.sorted().first(where: { !PortfolioListing.coveredFields.contains($0) }) {
                    throw node.error("options.read_from_portfolios: \"\(missing)\" is not in the portfolio listing (it shows \(PortfolioListing.coveredFields.count) dbase fields); list the fields \(type(of: writer).name) sends with fields: or read per account")
                }
            }
            if !protection.accountStatuses.isEmpty {
                throw node.error("options.read_from_portfolios: the listing shows no account status, so protect.account_statuses needs getaccount per account")
            }
            config.readFromPortfolios = portfolios
        }
        config.onFailure = try ConfigProblems.section(nil) { try FailureCommand.parse(top["on_failure"], resolve: resolver("on_failure")) }
        if let node = top["journal"] {
            config.journalRetentionDays = try ConfigProblems.section(config.journalRetentionDays) {
                try PipelineSections.journal.validate(node).required("retention_days").int(in: 1...36_500)
            }
        }
        if let node = top["checks"] { config.checks = try ConfigProblems.section(config.checks) { try fileChecks(node, mappedFields: mappedFields, normalizations: normalizations) } }
        if let node = top["acknowledgement"] {
            let section = try PipelineSections.acknowledgement.validate(node)
            var acknowledgement = PipelineConfig.Acknowledgement()
            if let format = section["format"] { acknowledgement.format = .init(rawValue: try format.string())! }
            acknowledgement.folder = try section["folder"].map { resolver("acknowledgement")(try $0.string()) }
            config.acknowledgement = acknowledgement
        }
        if let node = top["operations"] {
            let section = try PipelineSections.operations.validate(node)
            config.operations.refuseReloadedInput = try section["refuse_reloaded_input"]?.bool() ?? true
            config.operations.archiveFolder = try section["archive_folder"].map { resolver("operations")(try $0.string()) }
            config.operations.errorFolder = try section["error_folder"].map { resolver("operations")(try $0.string()) }
        }
        return config
    }

    /// `source:` — the file, the reader named (it wins over the extension), the reader's keys
    /// (a key of another reader is refused, naming the reader it belongs to), parsed once here
    /// to report their mistakes now.
    static func sourceSettings(_ node: ConfigNode, resolve: (String) -> String, catalog: ComponentCatalog) throws -> PipelineConfig.Source {
        let sectionSpec = PipelineSections.source(catalog)
        // The reader decides which keys apply: find it first, then check the section once.
        let given = Dictionary(try node.pairs().map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let explicit = try given["reader"].flatMap { $0.isNull ? nil : try $0.oneOf(catalog.readers.map(\.name)) }
        var source = PipelineConfig.Source(path: "", reader: explicit)
        source.readers = catalog.readers
        let fileName = try given["file"].flatMap { $0.isNull ? nil : try $0.string() } ?? ""
        let reader = source.reader(for: fileName)
        let others = catalog.readers.filter { $0.name != reader.name }.map(\.spec)
        let section = try reader.spec.validate(node, shared: sectionSpec.options, owners: others)
        source.path = resolve(try section.required("file").string())
        source.options = section.only(reader.spec.keys)
        _ = try source.readerOptions()
        return source
    }

    /// `mapping:` — `field: Column`, or `field: [Column, Alias, …]` for files that name it differently.
    static func fieldMappings(_ node: ConfigNode) throws -> [PipelineConfig.FieldMapping] {
        try node.pairs().map { entry in
            let names: [String]
            if case .sequence = entry.value.node { names = try entry.value.stringList() } else { names = [try entry.value.string()] }
            guard let column = names.first, names.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                throw entry.value.error("mapping.\(entry.key) names no source column")
            }
            return .init(field: entry.key, column: column, aliases: Array(names.dropFirst()), line: entry.keyNode.line)
        }
    }

    /// `normalize:` — `field: type` or `field: { type:, on_error:, and the normaliser's keys }`;
    /// a normaliser's keys absent there come from the pipeline's `options:` when it takes them
    /// (`day_first`). Every mapped field not listed is trimmed text.
    static func fieldNormalizations(_ node: ConfigNode?, mappedFields: [String], pipelineOptions: ConfigSection?,
                                    catalog: ComponentCatalog) throws -> [String: PipelineConfig.FieldNormalization] {
        let sectionSpec = PipelineSections.normalize(catalog)
        var normalizations: [String: PipelineConfig.FieldNormalization] = [:]
        for entry in try node?.pairs() ?? [] {
            guard mappedFields.contains(entry.key) else {
                let hint = closestMatch(to: entry.key, in: mappedFields).map { " — did you mean \"\($0)\"?" } ?? ""
                try ConfigProblems.report(entry.keyNode.error("normalize.\(entry.key): \"\(entry.key)\" is not in the mapping\(hint)"))
                continue
            }
            // `field: type`, or a section whose `type` decides which other keys apply.
            var typeNode = entry.value
            if case .mapping = entry.value.node {
                typeNode = try ConfigSection(node: entry.value, entries: try entry.value.pairs()).required("type")
            }
            let type = catalog.normalizer(named: try typeNode.oneOf(catalog.normalizers.map { $0.spec.name }))!
            var own = ConfigSection(node: entry.value, entries: [])
            var onError = PipelineConfig.OnError.reject
            if case .mapping = entry.value.node {
                let others = catalog.normalizers.filter { $0.spec.name != type.spec.name }.map { $0.spec }
                let section = try type.spec.validate(entry.value, shared: sectionSpec.options, owners: others)
                if let node = section["on_error"] { onError = PipelineConfig.OnError(rawValue: try node.string())! }
                own = section.only(type.spec.keys)
            }
            let options = own.over(pipelineOptions, keys: type.spec.keys)
            normalizations[entry.key] = .init(normalizer: try type.make(options), onError: onError)
        }
        for field in mappedFields where normalizations[field] == nil {
            normalizations[field] = .init(normalizer: TextNormalizer(), onError: .reject)
        }
        return normalizations
    }

    /// `writers:` — each built from its own options, checked against its spec. Two passes: a
    /// writer's defaults may depend on what the others consume.
    static func writerList(_ node: ConfigNode, context: WriterContext, catalog: ComponentCatalog) throws -> [any APIWriter] {
        let entries = try node.list().map { try writerEntry($0, catalog: catalog) }
        guard !entries.isEmpty else { throw node.error("the pipeline names no writers") }
        var consumedByAll: [Set<String>] = []
        for entry in entries {
            consumedByAll.append(try entry.type.init(options: entry.options, context: context, otherWriterFields: []).consumedFields)
        }
        var writers: [any APIWriter] = []
        for (index, entry) in entries.enumerated() {
            let others = consumedByAll.enumerated().filter { $0.offset != index }.reduce(into: Set<String>()) { $0.formUnion($1.element) }
            writers.append(try entry.type.init(options: entry.options, context: context, otherWriterFields: others))
        }
        return writers
    }

    /// The top-level sections of a pipeline file, its `extends:` chain resolved: the parent's
    /// sections (its `name` excepted), each replaced whole by the child's section of the same
    /// name (`source`, `mapping`, `checks`…: a child's `mapping` is the whole mapping).
    static func topLevel(_ root: Node, file: String, chain: [String], catalog: ComponentCatalog = .builtIn) throws -> ConfigSection {
        // Required sections are checked once the chain is resolved: a parent may give them.
        let top = try PipelineSections.top(catalog).validate(ConfigNode(node: root, file: file, path: ""), requiring: false)
        guard let extendsNode = top["extends"] else { return top }
        let parentPath = pathResolver(for: file)(try extendsNode.string())
        guard !chain.contains(parentPath), parentPath != file else {
            throw extendsNode.error("extends: \(parentPath) extends this file again (a loop)")
        }
        guard FileManager.default.fileExists(atPath: parentPath) else {
            throw extendsNode.error("extends: no pipeline file \(parentPath)")
        }
        let parent = try topLevel(try compose(try readText(path: parentPath), file: parentPath), file: parentPath, chain: chain + [file], catalog: catalog)
        let own = top.entries.filter { $0.key != "extends" }
        var entries = parent.entries.filter { $0.key != "name" }.map { inherited in own.first { $0.key == inherited.key } ?? inherited }
        entries += own.filter { entry in !entries.contains { $0.key == entry.key } }
        return ConfigSection(node: top.node, entries: entries)
    }

    /// `checks:` (see `FileChecks`). Every field named must be mapped, with the right normaliser.
    static func fileChecks(_ node: ConfigNode, mappedFields: [String], normalizations: [String: PipelineConfig.FieldNormalization]) throws -> FileChecks {
        let section = try PipelineSections.checks.validate(node)
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
            let entry = try PipelineSections.checksFields.validate(node)
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
            let entry = try PipelineSections.checksControlTotal.validate(node)
            checks.controlTotal = FileChecks.ControlTotal(trailerMarker: try entry.required("trailer_marker").string(),
                                                          sumOf: try entry["sum_of"].map { try mapped($0, as: MoneyNormalizer.name) })
        }
        if let node = section["balance_adds_up"] {
            let entry = try PipelineSections.checksBalance.validate(node)
            checks.balance = FileChecks.BalanceRule(
                total: try mapped(try entry.required("total"), as: MoneyNormalizer.name),
                parts: try entry.required("parts").list().map { try mapped($0, as: MoneyNormalizer.name) },
                tolerance: Decimal(try entry["tolerance"]?.double(minimum: 0) ?? 0.005),
                action: try entry["on_fail"].map { FileChecks.Action(rawValue: try $0.oneOf(["hold", "reject_row"]))! } ?? .rejectRow)
        }
        return checks
    }

    /// `- updatedbase: {…}` or a bare `- updatedbase`.
    private static func writerEntry(_ node: ConfigNode, catalog: ComponentCatalog) throws -> (type: any APIWriter.Type, options: ConfigSection) {
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
        let names = catalog.writers.map { $0.name }
        guard let type = catalog.writer(named: name) else {
            let hint = closestMatch(to: name, in: names).map { " — did you mean \"\($0)\"?" } ?? ""
            throw keyNode.error("unknown writer \"\(name)\"\(hint) (available: \(names.joined(separator: ", ")))")
        }
        guard let optionsNode else {
            // A bare `- name`: errors name its line.
            let empty = ConfigSection(node: ConfigNode(node: keyNode.node, file: node.file, path: "writers.\(name)"), entries: [])
            for option in type.spec.options where option.required { _ = try empty.required(option.name) }
            return (type, empty)
        }
        let options = try type.spec.validate(optionsNode)
        return (type, options)
    }

    /// The `target:` section, the same for load and export pipelines.
    static func targetSettings(_ node: ConfigNode, resolve: (String) -> String, defaultBatchSize: Int) throws -> PipelineConfig.Target {
        let section = try PipelineSections.target.validate(node)
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
        target.tenantRequestsPerSecond = try section["tenant_requests_per_second"]?.double(minimum: 0.01)
        if let node = section["retry"] {
            let retry = try PipelineSections.targetRetry.validate(node)
            target.retry = RetryPolicy(maxAttempts: try retry["max_attempts"]?.int(in: 1...20) ?? target.retry.maxAttempts,
                                       baseDelay: try retry["base_delay_seconds"]?.double(minimum: 0) ?? target.retry.baseDelay,
                                       maxDelay: try retry["max_delay_seconds"]?.double(minimum: 0) ?? target.retry.maxDelay,
                                       downAfter: try retry["down_after_seconds"]?.double(minimum: 1) ?? target.retry.downAfter)
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
