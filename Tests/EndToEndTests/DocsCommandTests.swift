import Foundation
import ScollectETL
import ScollectTestSupport
import Testing

/// `scollect-etl docs` writes the committed reference (the man page of the command line
/// included); `validate --explain` prints a spec; `--reader-option` reaches any reader's keys.
@Suite(.serialized)
struct DocsCommandTests {
    let cli = CommandLineTests()

    @Test func theCommittedReferenceIsWhatDocsGenerates() throws {
        let folder = try makeTemporaryDirectory("docs")
        let outcome = try cli.run(["docs", "--output", folder + "/docs"], environment: [:], in: folder)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        for relative in ["reference.md", "man/scollect-etl.1", "man/scollect-etl-pipeline.5"] {
            let generated = try String(contentsOfFile: folder + "/docs/" + relative, encoding: .utf8)
            let committed = try String(contentsOfFile: repositoryPath("docs/" + relative), encoding: .utf8)
            #expect(generated == committed, "docs/\(relative) is stale; run: \(ReferenceDocs.regenerate)")
        }
        let page = try String(contentsOfFile: folder + "/docs/man/scollect-etl.1", encoding: .utf8)
        for command in ["run", "validate", "preview", "guess", "docs", "sandbox serve", "bench read"] {
            #expect(page.contains(".SS scollect\\-etl \(command.replacingOccurrences(of: "-", with: "\\-"))\n"), "\(command)")
        }
        #expect(page.contains("\\-\\-explain"))

        let check = try cli.run(["docs", "--check", "--output", repositoryPath("docs")], environment: [:], in: folder)
        #expect(check.status == 0, "\(check.stderr)")
        try "stale\n".write(toFile: folder + "/docs/reference.md", atomically: true, encoding: .utf8)
        let stale = try cli.run(["docs", "--check", "--output", folder + "/docs"], environment: [:], in: folder)
        #expect(stale.status == 1 && stale.stderr.contains("reference.md differs"), "\(stale.stderr)")
    }

    @Test func validateExplainPrintsASpec() throws {
        let folder = try makeTemporaryDirectory("explain")
        let writer = try cli.run(["validate", "--explain", "updatedbase"], environment: [:], in: folder)
        #expect(writer.status == 0, "\(writer.stderr)")
        #expect(writer.stdout.hasPrefix("updatedbase (writer): PUT /updatedbase"))
        #expect(writer.stdout.contains("keep") && writer.stdout.contains("e.g. keep: [birthdate, socialsecuritynumber]"))
        let section = try cli.run(["validate", "--explain", "target"], environment: [:], in: folder)
        #expect(section.stdout.contains("requests_per_second") && section.stdout.contains("required"), "\(section.stdout)")
        let reader = try cli.run(["validate", "--explain", "csv"], environment: [:], in: folder)
        #expect(reader.stdout.contains("chosen for: .csv") && reader.stdout.contains("delimiter"), "\(reader.stdout)")
        let unknown = try cli.run(["validate", "--explain", "updatedbse"], environment: [:], in: folder)
        #expect(unknown.status == 2 && unknown.stderr.contains("did you mean \"updatedbase\""), "\(unknown.stderr)")
    }

    @Test func readerOptionsOnTheCommandLineAreTheReadersOwn() throws {
        let folder = try makeTemporaryDirectory("reader-option")
        try "Account;Name\nR1;Smith\n".write(toFile: folder + "/accounts.json", atomically: true, encoding: .utf8)
        // Named, the reader wins over the extension; its keys by --reader-option.
        let csv = try cli.run(["preview", folder + "/accounts.json", "--reader", "csv", "--reader-option", "delimiter=;", "--format", "jsonl"], environment: [:], in: folder)
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout.contains("Smith") && !csv.stdout.contains("R1;Smith"), "split on ;: \(csv.stdout)")
        let foreign = try cli.run(["preview", repositoryPath("SampleData/placement.csv"), "--reader-option", "sheet=Data"], environment: [:], in: folder)
        #expect(foreign.status != 0 && foreign.stderr.contains("sheet is not an option of the csv reader (it takes delimiter, encoding)"), "\(foreign.stderr)")
        let xlsx = try cli.run(["preview", repositoryPath("SampleData/placement.xlsx"), "--reader-option", "header_row=1", "--rows", "1"], environment: [:], in: folder)
        #expect(xlsx.status == 0, "\(xlsx.stderr)")
    }
}
