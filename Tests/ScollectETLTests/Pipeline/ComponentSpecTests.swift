import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// The specs the sections and components declare: the loader checks every section with them,
/// a component added outside the registries is checked and documented like the others.
struct ComponentSpecTests {
    static func pipeline(normalize: String, source: String = "source:\n  file: input.csv") -> String {
        """
        \(source)
        mapping:
          filenumber: Account
          lastname: Last Name
          birthdate: DOB
        normalize:
        \(normalize)
        writers:
          - updatedbase
        target: { url: sandbox, requests_per_second: 10 }
        reports: { folder: out }
        """
    }

    static func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "" } catch { return "\(error)" }
    }

    // MARK: - A normaliser added in a test target

    @Test func anExtraNormaliserIsValidatedAndDocumented() throws {
        var catalog = ComponentCatalog.builtIn
        catalog.normalizers.append(ShoutNormalizer.self)   // the one registration line

        // Loaded with its options, and used.
        let config = try PipelineLoader.parse(Self.pipeline(normalize: "  lastname: { type: shout, marks: 3 }"), file: "/tmp/p.yml", catalog: catalog)
        #expect(config.normalizations["lastname"]?.normalizer.normalize(" smith ") == .value("SMITH!!!"))
        let short = try PipelineLoader.parse(Self.pipeline(normalize: "  lastname: shout"), file: "/tmp/p.yml", catalog: catalog)
        #expect(short.normalizations["lastname"]?.normalizer.normalize("smith") == .value("SMITH!"), "the spec's default, 1 mark")

        // Validated from its spec: unknown key with a did-you-mean, type, range, another normaliser's key.
        let typo = Self.message { try PipelineLoader.parse(Self.pipeline(normalize: "  lastname: { type: shout, makrs: 3 }"), file: "p.yml", catalog: catalog) }
        #expect(typo.contains("p.yml:8:") && typo.contains("unknown key \"makrs\"") && typo.contains("did you mean \"marks\""), "\(typo)")
        let type = Self.message { try PipelineLoader.parse(Self.pipeline(normalize: "  lastname: { type: shout, marks: lots }"), file: "p.yml", catalog: catalog) }
        #expect(type.contains("must be a whole number") && type.contains("lots"), "\(type)")
        let range = Self.message { try PipelineLoader.parse(Self.pipeline(normalize: "  lastname: { type: shout, marks: 9 }"), file: "p.yml", catalog: catalog) }
        #expect(range.contains("between 0 and 5"), "\(range)")
        let foreign = Self.message { try PipelineLoader.parse(Self.pipeline(normalize: "  lastname: { type: shout, day_first: true }"), file: "p.yml", catalog: catalog) }
        #expect(foreign.contains("applies to the date normaliser, not to shout"), "\(foreign)")
        let backwards = Self.message { try PipelineLoader.parse(Self.pipeline(normalize: "  birthdate: { type: date, marks: 2 }"), file: "p.yml", catalog: catalog) }
        #expect(backwards.contains("applies to the shout normaliser, not to date"), "\(backwards)")

        // Without the registration line it is unknown.
        let unknown = Self.message { try PipelineLoader.parse(Self.pipeline(normalize: "  lastname: shout"), file: "p.yml") }
        #expect(unknown.contains("must be one of") && unknown.contains("found \"shout\""), "\(unknown)")

        // Documented: the reference, the man page, --explain.
        let reference = ReferenceDocs.markdown(catalog: catalog)
        #expect(reference.contains("### `shout`") && reference.contains("| `marks` | whole number 0–5 | 1 | How many exclamation marks. | `marks: 3` |"))
        #expect(reference.contains("[`shout`](#normaliser-shout)"))
        #expect(reference.contains("one of `ssn`, `phone`, `date`, `money`, `text`, `upper`, `shout`"), "the normalize section lists it")
        #expect(!ReferenceDocs.markdown().contains("shout"))
        #expect(ReferenceDocs.pipelineManPage(catalog: catalog).contains(".SS shout"))
        let explained = try ReferenceDocs.explain("shout", catalog: catalog)
        #expect(explained.hasPrefix("shout (normaliser): Upper-cased, with exclamation marks."))
        #expect(explained.contains("marks  whole number 0–5; default: 1"))
    }

    // MARK: - Every spec's example is valid against its spec

    @Test func everyExampleIsValidAgainstItsSpec() throws {
        let catalog = ComponentCatalog.builtIn
        for spec in catalog.sections + catalog.components + ExportSections.all {
            #expect(!spec.summary.isEmpty, "\(spec.name)")
            for option in spec.options { #expect(!option.help.isEmpty && !option.example.isEmpty, "\(spec.name).\(option.name)") }
            let root = try PipelineLoader.compose(spec.example, file: "\(spec.name) example")
            var node = ConfigNode(node: root, file: "\(spec.name) example", path: "")
            switch spec.kind {
            case .section:
                // Keys of these are names of the file's own (fields, writers) or the reader's.
                if ["pipeline", "export", "source", "mapping", "normalize", "writers"].contains(spec.name) { break }
                // Where the example writes the section (the long form of checks.required for checks.fields).
                let path = spec.name == "checks.fields" ? "checks.required" : spec.name
                for part in path.split(separator: ".").drop(while: { $0 == "export" }) { node = try #require(try node.pairs().first { $0.key == part }?.value, "\(spec.name)") }
            case .reader:
                node = try #require(try node.pairs().first { $0.key == "source" }?.value)
                _ = try spec.validate(node, shared: PipelineSections.source(catalog).options)
                _ = try #require(catalog.reader(named: spec.name)).options(try node.section(allowedKeys: spec.keys + ["file", "reader"]))
                continue
            case .normalizer:
                for entry in try #require(try node.pairs().first { $0.key == "normalize" }?.value).pairs() {
                    if case .mapping = entry.value.node { _ = try spec.validate(entry.value, shared: PipelineSections.normalize(catalog).options) }
                }
                continue
            case .writer:
                let item = try #require(try node.pairs().first { $0.key == "writers" }?.value.list().first)
                node = try #require(try item.pairs().first { $0.key == spec.name }?.value, "\(spec.name)")
            }
            if spec.name == "export.columns" {
                for item in try node.list() { _ = try spec.validate(item) }
            } else if ["pipeline", "export"].contains(spec.name) {
                _ = try spec.validate(node)
            } else if spec.kind != .section || !["source", "mapping", "normalize", "writers"].contains(spec.name) {
                _ = try spec.validate(node)
            }
            // Each option's example is a value of its type.
            for option in spec.options {
                let value = try PipelineLoader.compose("\(option.name): \(option.example)", file: "example")
                let pair = try ConfigNode(node: value, file: "example", path: spec.name).pairs()[0].value
                try option.check(pair)
            }
        }
    }

    // MARK: - Sections checked from their specs

    @Test func sectionsAreCheckedFromTheirSpecs() {
        let base = PipelineLoaderTests.valid
        let type = Self.message { try PipelineLoader.parse(base.replacingOccurrences(of: "requests_per_second: 10", with: "requests_per_second: 10\n  max_in_flight: many"), file: "p.yml") }
        #expect(type.contains("p.yml:18:") && type.contains("target.max_in_flight must be a whole number"), "\(type)")
        let required = Self.message { try PipelineLoader.parse(base.replacingOccurrences(of: "  folder: out", with: "  folder:"), file: "p.yml") }
        #expect(required.contains("reports needs \"folder\""), "\(required)")
        let bool = Self.message { try PipelineLoader.parse(base + "\noperations: { refuse_reloaded_input: sometimes }", file: "p.yml") }
        #expect(bool.contains("operations.refuse_reloaded_input must be true or false"), "\(bool)")
        let choice = Self.message { try PipelineLoader.parse(base + "\nacknowledgement: { format: xslx }", file: "p.yml") }
        #expect(choice.contains("did you mean \"xlsx\""), "\(choice)")
        let retry = Self.message { try PipelineLoader.parse(base.replacingOccurrences(of: "requests_per_second: 10", with: "requests_per_second: 10\n  retry: { max_atempts: 3 }"), file: "p.yml") }
        #expect(retry.contains("unknown key \"max_atempts\" in target.retry") && retry.contains("did you mean \"max_attempts\""), "\(retry)")
    }

    @Test func aWriterOptionIsCheckedFromTheWritersSpec() {
        let missing = Self.message { try PipelineLoader.parse(PipelineLoaderTests.valid.replacingOccurrences(of: "      phones:\n        - { field: home_phone, type: HOME }", with: "      status: UNKNOWN"), file: "p.yml") }
        #expect(missing.contains("writers[1].insertphone needs \"phones\""), "\(missing)")
        let bare = Self.message { try PipelineLoader.parse(PipelineLoaderTests.valid.replacingOccurrences(of: "  - insertphone:\n      phones:\n        - { field: home_phone, type: HOME }", with: "  - insertphone"), file: "p.yml") }
        #expect(bare.contains("p.yml:12:") && bare.contains("writers.insertphone needs \"phones\""), "\(bare)")
    }

    // MARK: - Readers: their own keys, explicit reader wins

    @Test func aReadersKeysAreItsOwn() {
        let typo = Self.message { try PipelineLoader.parse(Self.pipeline(normalize: "  birthdate: date", source: "source:\n  file: input.csv\n  delimter: \";\""), file: "p.yml") }
        #expect(typo.contains("unknown key \"delimter\" in source") && typo.contains("did you mean \"delimiter\""), "\(typo)")
        let foreign = Self.message { try PipelineLoader.parse(Self.pipeline(normalize: "  birthdate: date", source: "source:\n  file: input.csv\n  sheet: Data"), file: "p.yml") }
        #expect(foreign.contains("p.yml:3:") && foreign.contains("source.sheet applies to the xlsx reader, not to csv"), "\(foreign)")
        let missing = Self.message { try PipelineLoader.parse(Self.pipeline(normalize: "  birthdate: date", source: "source:\n  file: input.xml"), file: "p.yml") }
        #expect(missing.contains("source needs \"record\""), "\(missing)")
        let bad = Self.message { try PipelineLoader.parse(Self.pipeline(normalize: "  birthdate: date", source: "source:\n  file: input.txt\n  delimiter: ab"), file: "p.yml") }
        #expect(bad.contains("source.delimiter must be one character"), "\(bad)")
    }

    @Test func anExplicitReaderWinsOverTheExtension() throws {
        let folder = try makeTemporaryDirectory("explicit-reader")
        let path = folder + "/export.json"
        try "Account;Last Name\nR1;Smith\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try PipelineLoader.parse(Self.pipeline(normalize: "  birthdate: date", source: "source:\n  file: export.json\n  reader: csv\n  delimiter: \";\""),
                                              file: folder + "/p.yml")
        #expect(config.source.reader == "csv")
        #expect(config.source.reader(for: folder + "/other.xlsx").name == "csv", "every input of the pipeline")
        let reader = try config.source.open()
        #expect(reader.header == ["Account", "Last Name"])
        guard case let .record(record)? = try reader.next() else { Issue.record("no record"); return }
        #expect(record.values == ["R1", "Smith"])

        // Not named: each input's extension decides, with the keys of its own reader.
        let byExtension = try PipelineLoader.parse(Self.pipeline(normalize: "  birthdate: date", source: "source:\n  file: in.xlsx\n  sheet: Data"), file: folder + "/p.yml")
        #expect(byExtension.source.reader == "xlsx")
        #expect(byExtension.source.reader(for: folder + "/rejects.csv.gz").name == "csv")
        #expect(try byExtension.source.readerOptions(for: folder + "/rejects.csv.gz").rawTextDelimiter == UInt8(ascii: ","))
        #expect(try byExtension.source.readerOptions().readsSequentially == false)
    }

    @Test func explainNamesWhatItDoesNotKnow() {
        #expect(Self.message { try ReferenceDocs.explain("updatedbse") }.contains("did you mean \"updatedbase\""))
        let retry = (try? ReferenceDocs.explain("target.retry")) ?? ""
        #expect(retry.contains("  max_attempts ") && retry.contains("whole number 1–20; default: 5"), "\(retry)")
    }
}
