import ArgumentParser
import Foundation
import ScollectETL

/// `scollect-etl validate PIPELINE`: every problem of a pipeline file and its input's header,
/// without touching the API.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline file and its input's header, without calling the API.",
        discussion: """
        Reports every unknown key (with a "did you mean"), normaliser on a field that is not \
        mapped, writer option the endpoint does not take, and mapped column missing from the \
        input's header (with the closest header), each with its file, line and column. Prints \
        the on_failure command the pipeline would run, if any. Exits 0 when there is nothing to \
        fix, 2 otherwise.

        With --explain NAME, prints the keys of a section (source, target, target.retry…) or \
        of a reader, normaliser or writer: type, default, what it does, an example.

        Examples:
          scollect-etl validate Pipelines/nightly-placement.yml
          scollect-etl validate Pipelines/nightly-placement.yml --input today.csv
          scollect-etl validate --explain target
          scollect-etl validate --explain updatedbase
        """
    )

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String?

    @Option(help: "Check against this input file instead of the pipeline's source.")
    var input: String?

    @Option(help: ArgumentHelp("Print the spec of a section or of a reader, normaliser or writer, and exit.", valueName: "name"))
    var explain: String?

    func validate() throws {
        if pipeline == nil && explain == nil { throw ValidationError("give a pipeline file, or --explain NAME") }
    }

    func run() throws {
        if let explain {
            do { print(try ReferenceDocs.explain(explain), terminator: "") } catch {
                printError("error: \(error)")
                throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
            }
            return
        }
        guard let pipeline else { throw ValidationError("give a pipeline file, or --explain NAME") }
        if PipelineFile.kind(path: pipeline) == .export {
            // An export reads from Scollect: there is no input header to check.
            let (export, problems) = ConfigProblems.collecting { try ExportPipelineLoader.load(path: pipeline) }
            if export != nil && problems.isEmpty {
                print("\(pipeline): OK (export pipeline)")
                return
            }
            for problem in problems { printError(problem.description) }
            printError("\(problems.count) problem\(problems.count == 1 ? "" : "s") in \(pipeline)")
            throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
        }
        let (config, problems) = ConfigProblems.collecting { try PipelineLoader.load(path: pipeline) }
        var lines = problems.map(\.description)
        if let config {
            var path = config.source.path
            if let input { path = input } else if InputFiles.isPattern(path), let newest = InputFiles.newest(path) { path = newest }
            do {
                let reader = try config.source.open(path)
                lines += RowMapper.missingColumns(config: config, header: reader.header, inputFile: path).map(\.description)
            } catch {
                lines.append(SourceFilePlace.describe(error, pipeline: pipeline, input: input))
            }
        }
        // What the file would make this machine run, for the reviewer to see before any run.
        if let onFailure = config?.onFailure { print(onFailure.summary) }
        if lines.isEmpty {
            print("\(pipeline): OK (\(config!.mapping.count) mapped columns found in \(URL(fileURLWithPath: input ?? config!.source.path).lastPathComponent); writers: \(config!.writers.map { type(of: $0).name }.joined(separator: ", ")))")
            return
        }
        for line in lines { printError(line) }
        printError("\(lines.count) problem\(lines.count == 1 ? "" : "s") in \(pipeline)")
        throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
    }
}
