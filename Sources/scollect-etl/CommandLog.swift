import ArgumentParser
import Foundation
import Logging
import ScollectETL
import ScollectSandbox

/// `--log-level` and `--log-format`: where the command's log lines go. A run installs its
/// logger here (the progress display's handler, or JSON lines) so that `printError` goes
/// through it too: in JSON every line on stderr is one object.
enum CommandLog {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    nonisolated(unsafe) static var installed: Logger?

    /// The installed logger, else plain text lines on stderr at info.
    static var logger: Logger {
        installed ?? Logger(label: "scollect-etl") { _ in
            ClosureLogHandler(level: .info) { level, message, _ in writeStderr(LogLine.text(level: level, message: redacted(message))) }
        }
    }

    /// Values that must never be printed: the credentials this process may use. PINs are too
    /// short to be replaced wherever they appear; `LogLine.redacted`'s patterns catch them.
    static let secrets: [String] = {
        let env = ProcessInfo.processInfo.environment
        var values = [env["SCOLLECT_APIKEY"], env["SCOLLECT_PIN"], env["FACTORS_NETWORK_PASSWORD"],
                      SandboxConfiguration.defaultAPIKey, SandboxConfiguration.defaultFactorsNetworkPassword].compactMap { $0 }
        if let file = try? TargetResolution.credentials(env) { values += [file.apikey, file.pin] }
        return values.filter { !$0.isEmpty }
    }()

    static func redacted(_ message: String) -> String { LogLine.redacted(message, secrets: secrets) }

    /// A line the command prints on stderr: through the installed logger (its level taken from
    /// the line's `error:`/`warning:`/`notice:` prefix), else as it is.
    static func line(_ message: String) {
        guard let installed else {
            writeStderr(message)
            return
        }
        for (prefix, level) in [("error: ", Logger.Level.error), ("warning: ", .warning), ("notice: ", .notice)] where message.hasPrefix(prefix) {
            installed.log(level: level, "\(String(message.dropFirst(prefix.count)))")
            return
        }
        installed.info("\(message)")
    }

    static func writeStderr(_ text: String) {
        // Errors quote server answers and file values: no control character reaches the terminal.
        FileHandle.standardError.write(Data((TerminalText.printable(text, keepingNewlines: true) + "\n").utf8))
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
