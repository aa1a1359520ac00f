import Foundation
@testable import ScollectETL
import ScollectTestSupport
import Testing

/// `extends:` — a pipeline built on another: the child's top-level sections replace the
/// parent's whole; everything else, and relative paths, come from the parent's file.
struct PipelineExtendsTests {
    static let parent = """
        name: parent
        source: { file: in.csv }
        mapping: { filenumber: Account, firstname: First, birthdate: DOB }
        normalize: { birthdate: date }
        options: { clear_marker: "<CLEAR>", no_news_values: [NULL] }
        protect: { account_statuses: [BANKRUPTCY] }
        checks: { duplicate_filenumbers: last_wins }
        writers:
          - updatedbase: { keep: [birthdate] }
        target: { url: sandbox, sandbox_seed: seed.json, requests_per_second: 10 }
        reports: { folder: out }
        """

    func files(_ children: [String: String]) throws -> String {
        let folder = try makeTemporaryDirectory("extends")
        try FileManager.default.createDirectory(atPath: folder + "/base", withIntermediateDirectories: true)
        try Self.parent.write(toFile: folder + "/base/parent.yml", atomically: true, encoding: .utf8)
        for (name, text) in children { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        return folder
    }

    @Test func childSectionsReplaceTheParentsWholeAndTheRestIsInherited() throws {
        let folder = try files(["child.yml": """
            extends: base/parent.yml
            source: { file: in.xlsx, sheet: Placement }
            mapping: { filenumber: Acct, firstname: Given, birthdate: Born }
            reports: { folder: child-out }
            """])
        let config = try PipelineLoader.load(path: folder + "/child.yml")
        #expect(config.name == "child", "the parent's name is not inherited")
        #expect(config.source.path == folder + "/in.xlsx" && config.source.reader == "xlsx")
        #expect(config.mapping.map(\.column) == ["Acct", "Given", "Born"], "the mapping is replaced whole")
        #expect(config.reportsFolder == folder + "/child-out")
        // Inherited: relative to the parent's folder.
        #expect(config.target.sandboxSeedFiles == [folder + "/base/seed.json"])
        #expect(config.clearMarker == "<CLEAR>" && config.noNewsValues.values == ["NULL"])
        #expect(config.protection.protectsAccount(status: "Bankruptcy"))
        #expect(config.checks.duplicates == .lastWins)
        let writer = try #require(config.writers.first as? UpdateDbaseWriter)
        #expect(Set(writer.fields) == ["firstname", "birthdate"] && writer.keptFields == ["birthdate"])
    }

    @Test func aChainAndItsErrors() throws {
        let folder = try files([
            "middle.yml": "extends: base/parent.yml\nchecks: { duplicate_filenumbers: first_wins }\n",
            "child.yml": "extends: middle.yml\nname: night\n",
            "loop-a.yml": "extends: loop-b.yml\n",
            "loop-b.yml": "extends: loop-a.yml\n",
            "missing.yml": "# a pipeline\nextends: nowhere.yml\n",
            "bad.yml": "extends: base/parent.yml\nsource: { file: x.csv, shet: 1 }\n",
        ])
        let config = try PipelineLoader.load(path: folder + "/child.yml")
        #expect(config.name == "night" && config.checks.duplicates == .firstWins && config.protection.protectsAccount(status: "BANKRUPTCY"))
        let loop = #expect(throws: PipelineError.self) { try PipelineLoader.load(path: folder + "/loop-a.yml") }
        #expect(loop?.message.contains("a loop") == true, "\(String(describing: loop))")
        let missing = #expect(throws: PipelineError.self) { try PipelineLoader.load(path: folder + "/missing.yml") }
        #expect(missing?.line == 2 && missing?.message.contains("nowhere.yml") == true, "\(String(describing: missing))")
        // A mistake in the child is named in the child.
        let bad = #expect(throws: PipelineError.self) { try PipelineLoader.load(path: folder + "/bad.yml") }
        #expect(bad?.file == folder + "/bad.yml", "\(String(describing: bad))")
    }

    @Test func theSampleVariantsExtendTheCSVPipeline() throws {
        let csv = try PipelineLoader.load(path: repositoryPath("Pipelines/nightly-placement.yml"))
        for variant in ["xlsx", "xml", "json"] {
            let config = try PipelineLoader.load(path: repositoryPath("Pipelines/nightly-placement-\(variant).yml"))
            #expect(config.name == "nightly-placement-\(variant)")
            #expect(config.source.reader == variant)
            #expect(config.protection.accountStatuses == csv.protection.accountStatuses)
            #expect(config.protection.phoneStatuses == csv.protection.phoneStatuses)
            #expect(config.checks.duplicates == csv.checks.duplicates)
            #expect(config.acknowledgement?.format == csv.acknowledgement?.format)
            #expect((config.writers.first as? UpdateDbaseWriter)?.keptFields == (csv.writers.first as? UpdateDbaseWriter)?.keptFields)
            #expect(config.mapping.map(\.field) == csv.mapping.map(\.field))
            #expect(config.reportsFolder.hasSuffix("reports/nightly-placement-\(variant)"))
        }
    }
}
