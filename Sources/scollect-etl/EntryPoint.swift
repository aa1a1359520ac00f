import ArgumentParser
import Foundation
import ScollectETL

/// `0.2.0 (git abc1234)`: the library's version and the checkout the binary was built from
/// (`gitRevision` is generated at build time by Plugins/GitRevision).
let toolVersion = ScollectETLVersion.described(revision: gitRevision)

/// Runs the command and exits with a code of the one table (`ScollectETL.ExitCode`), whatever
/// the path: a command's own code; 0 for `--help` and `--version`; 2 for a usage error or a
/// pipeline file that cannot be read (never swift-argument-parser's 64); 8 for an error nothing
/// expected (never 1, which means "done with rejects" to cron and orchestrators).
@main
enum EntryPoint {
    static func main() {
        let code: Int32
        do {
            var command = try ScollectETLCommand.parseAsRoot()
            try command.run()
            code = ScollectETL.ExitCode.done.rawValue
        } catch {
            code = exitCode(for: error)
        }
        exit(code)
    }

    static func exitCode(for error: Error) -> Int32 {
        // A command's own code: it has printed why.
        if let code = error as? ArgumentParser.ExitCode { return code.rawValue }
        if let problem = error as? PipelineError {
            printError("error: \(problem)")
            return ScollectETL.ExitCode.badPipelineOrArguments.rawValue
        }
        if let problem = error as? TargetResolution.Problem {
            printError("error: \(problem)")
            return ScollectETL.ExitCode.badPipelineOrArguments.rawValue
        }
        switch ScollectETLCommand.exitCode(for: error) {
        case .success:
            // --help, --version
            print(ScollectETLCommand.fullMessage(for: error))
            return ScollectETL.ExitCode.done.rawValue
        case .validationFailure:
            printError(ScollectETLCommand.fullMessage(for: error))
            return ScollectETL.ExitCode.badPipelineOrArguments.rawValue
        default:
            printError("error: internal error (exit \(ScollectETL.ExitCode.internalError.rawValue), not resumable): \(error)\n"
                + "scollect-etl \(toolVersion); please report it with the command line and this message")
            return ScollectETL.ExitCode.internalError.rawValue
        }
    }
}
