import Foundation
import ScollectETL
import ScollectTestSupport
import Testing

/// The committed reference is what the specs generate: a spec changed without
/// `swift run scollect-etl docs` fails here. (`EndToEndTests/DocsCommandTests` checks the
/// command-line man page, which needs the executable.)
struct GeneratedReferenceTests {
    @Test(arguments: [("docs/reference.md", ReferenceDocs.markdown()),
                      ("docs/man/scollect-etl-pipeline.5", ReferenceDocs.pipelineManPage())])
    func theCommittedReferenceIsWhatTheSpecsGenerate(path: String, generated: String) throws {
        let committed = try String(contentsOfFile: repositoryPath(path), encoding: .utf8)
        let firstDifference = zip(committed.split(separator: "\n", omittingEmptySubsequences: false),
                                  generated.split(separator: "\n", omittingEmptySubsequences: false)).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(committed == generated, "\(path) is stale (first difference on line \((firstDifference?.offset ?? 0) + 1)); run: \(ReferenceDocs.regenerate)")
    }

    @Test func everyRegisteredComponentAndEveryOptionIsInTheReference() {
        let reference = ReferenceDocs.markdown()
        let catalog = ComponentCatalog.builtIn
        for spec in catalog.sections + catalog.components + ExportSections.all {
            #expect(reference.contains("### `\(spec.name)`"), "\(spec.name)")
            for option in spec.options { #expect(reference.contains("| `\(option.name)` |"), "\(spec.name).\(option.name)") }
        }
        #expect(catalog.writers.count == WriterRegistry.all.count && WriterRegistry.all.count == 11)
        #expect(catalog.normalizers.map { $0.spec.name } == ["ssn", "phone", "date", "money", "text", "upper"])
    }
}
