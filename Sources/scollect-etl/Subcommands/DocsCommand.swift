import ArgumentParser
import Foundation
import ScollectETL

/// `scollect-etl docs`: writes the reference from the specs in the code and the command tree:
/// `reference.md`, `man/scollect-etl.1`, `man/scollect-etl-pipeline.5`.
struct DocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs",
        abstract: "Write the reference (docs/reference.md and man pages) from the option specs and the commands.",
        discussion: """
        Writes reference.md (every pipeline section, reader, normaliser and writer, with every \
        option and an example), man/scollect-etl.1 (the command line) and \
        man/scollect-etl-pipeline.5 (the pipeline format). Run it after changing a spec or a \
        command; a test fails while the committed reference differs. With --check, writes \
        nothing and exits 1 when a file differs.

        Examples:
          swift run scollect-etl docs
          scollect-etl docs --output /tmp/docs && man /tmp/docs/man/scollect-etl-pipeline.5
        """
    )

    @Option(help: "The folder written.")
    var output = "docs"

    @Flag(help: "Compare with the files in the folder instead of writing them.")
    var check = false

    /// Relative path → contents.
    static func files() -> [(String, String)] {
        [("reference.md", ReferenceDocs.markdown()),
         ("man/scollect-etl.1", CommandManPage.page(for: ScollectETLCommand.self)),
         ("man/scollect-etl-pipeline.5", ReferenceDocs.pipelineManPage())]
    }

    func run() throws {
        var stale: [String] = []
        for (relative, text) in Self.files() {
            let path = output + "/" + relative
            if check {
                if (try? String(contentsOfFile: path, encoding: .utf8)) != text { stale.append(path) }
                continue
            }
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            print("wrote \(path)")
        }
        if !stale.isEmpty {
            for path in stale { printError("\(path) differs from what the code generates; run: \(ReferenceDocs.regenerate)") }
            throw ExitCode(1)
        }
    }
}
