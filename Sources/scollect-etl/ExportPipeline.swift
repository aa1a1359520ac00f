import ArgumentParser
import Foundation
import ScollectETL

/// `run` on an export pipeline (`source: { scollect: … }`): resolve the target as a load run
/// does (SCOLLECT_URL, the pipeline's URL, or the embedded sandbox), export, print the summary.
func runExportPipeline(_ config: ExportPipelineConfig, quiet: Bool) throws -> RunSummary {
    let resolved = try TargetResolver.resolve(config.target, log: { printError($0) })
    defer { resolved.sandbox?.stop() }
    let options = commandLineRunOptions(display: ProgressDisplay(level: quiet ? .quiet : .normal))
    let summary = ExportRunner(config: config, target: resolved.target, options: options).run()
    print(summary.table)
    if let reason = summary.abortReason { printError("error: \(reason)") }
    return summary
}
