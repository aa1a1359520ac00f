import Foundation
import Logging

/// What becomes of the input file and the run once it has stopped: the exit code of a run that
/// nothing stopped early, how to resume one that was stopped, and where the file goes.
enum InputDisposition {
    /// Done, with or without rejects, unless something stopped the run.
    static func exitCode(stoppedWith stop: ExitCode?, rejected: Int) -> ExitCode {
        stop ?? (rejected > 0 ? .doneWithRejects : .done)
    }

    /// The abort reason of an interrupted run or one the API stopped, with how to resume it.
    static func resumeHint(_ code: ExitCode, reason: String?, hasJournal: Bool, rowsToRetry: Int = 0) -> String? {
        if code == .doneWithRejects, rowsToRetry > 0, hasJournal {
            return "\(rowsToRetry) row\(rowsToRetry == 1 ? "" : "s") rejected for a reason a later run may clear (see the rejects report); "
                + "run the same command again to retry only those: rows already settled are not read again"
        }
        guard code == .interrupted || code == .apiUnavailable else { return reason }
        return (reason ?? "stopped") + ". To resume, run the same command again: rows already written are skipped"
            + (hasJournal ? ", payments whose answer was lost are checked on the server before anything is re-sent" : "")
    }

    /// A loaded file goes to the archive folder, a held or aborted one to the error folder
    /// (when the pipeline names them); a file to run again (exit 2, 3, 6, 7, or rows to retry)
    /// stays where it is.
    static func move(_ path: String, exitCode: ExitCode, rowsToRetry: Int = 0, operations: PipelineConfig.Operations, log: Logger) {
        let destination: String?
        switch exitCode {
        case .done, .doneWithRejects: destination = rowsToRetry > 0 ? nil : operations.archiveFolder
        case .inputHeld, .rejectLimit: destination = operations.errorFolder
        default: destination = nil
        }
        guard let destination else { return }
        do {
            try PrivateFile.createDirectory(destination)
            var target = URL(fileURLWithPath: destination).appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent).path
            if FileManager.default.fileExists(atPath: target) { target += "." + RunReports.makeRunId() }
            try FileManager.default.moveItem(atPath: path, toPath: target)
            log.info("moved \(path) to \(target)")
        } catch {
            log.error("could not move \(path) to \(destination): \(error)")
        }
    }
}
