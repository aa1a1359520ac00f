import Foundation

/// Before any call: is the same file loaded before (same pipeline and SHA-256; refused unless
/// `--force`), and do the pipeline's whole-file checks (`checks:`) hold it? A first pass reads
/// and normalises the whole file when a check needs it.
enum InputGate {
    static func verdict(config: PipelineConfig, inputPath: String, digest: String, journal: RunJournal?, runId: String,
                        options: RunOptions, mapper: RowMapper) -> FileCheckVerdict {
        let inputName = URL(fileURLWithPath: inputPath).lastPathComponent
        var verdict = FileCheckVerdict()
        do {
            if config.operations.refuseReloadedInput, !options.force, !options.dryRun,
               let earlier = try journal?.completedRun(pipeline: config.name, inputDigest: digest), earlier.runId != runId {
                verdict.heldBecause.append("\(inputName) was already loaded by run \(earlier.runId) (\(earlier.started), exit \(earlier.exitCode ?? -1)); run with --force to load it again")
            } else if config.checks.needsFirstPass {
                verdict = try FileCheckPass.run(config.checks, reader: try config.source.open(inputPath), mapper: mapper,
                                                readerOptions: try config.source.readerOptions(for: inputPath), inputName: inputName)
            }
        } catch {
            verdict.heldBecause.append("\(error)")
        }
        return verdict
    }
}
