import ArgumentParser
import Foundation
import ScollectETL

/// A journal named on the command line (or found for the target) that cannot be opened — not a
/// journal, unreadable, from a newer version — is a bad argument (exit 2), said plainly.
func openRunJournal(_ path: String) throws -> RunJournal {
    do {
        return try RunJournal(path: path)
    } catch {
        printError("error: cannot open the run journal \(path): \(error)")
        throw ExitCode(ScollectETL.ExitCode.badPipelineOrArguments.rawValue)
    }
}
