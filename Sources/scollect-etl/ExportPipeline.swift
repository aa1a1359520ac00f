import ArgumentParser
import Foundation
import ScollectETL

/// `run` on an export pipeline (`source: { scollect: … }`): resolve the target as a load run
/// does (SCOLLECT_URL, the pipeline's URL, or the embedded sandbox), export, print the summary.
func runExportPipeline(_ config: ExportPipelineConfig, display: ProgressDisplay) throws -> RunSummary {
    let resolved = try TargetResolver.resolve(config.target, log: CommandLog.logger)
    defer { resolved.sandbox?.stop() }
    let options = commandLineRunOptions()
    let summary = ExportRunner(config: config, target: resolved.target, options: options).run()
    // Every run has its report.html, an export's too (its audit is the reads it made).
    if !summary.reportFolder.isEmpty && FileManager.default.fileExists(atPath: summary.reportFolder + "/audit.jsonl.gz") {
        do {
            try HTMLRunReport.write(summary: summary, folder: summary.reportFolder)
        } catch {
            runLogger(options.log, summary, pipeline: config.name).error("the HTML report could not be written: \(error)")
        }
    }
    print(display.level == .quiet ? RunSummaryTable.oneLine(summary) : summary.table)
    if let reason = summary.abortReason, display.level == .quiet || display.format == .json {
        runLogger(options.log, summary, pipeline: config.name).error("\(reason)")
    }
    return summary
}
