import Foundation

/// Where the tool keeps its state: run journals, the embedded sandbox's database, run locks and
/// spooled answers. Reports stay where each pipeline says.
///
/// `SCOLLECT_STATE_DIR`; else `.scollect/` in the working directory when one is there (where
/// versions before 0.2.0 kept it; a notice says where state now lives); else
/// `/var/lib/scollect-etl` for a binary installed in `/usr/bin` run as root; else
/// `$XDG_STATE_HOME/scollect-etl`; else `~/.local/state/scollect-etl`.
public struct StateDirectory: Equatable, Sendable {
    public let path: String
    /// Why this place: shown by `--help`-like notices and tests.
    public let reason: Reason
    /// Where state lives by the rules when `.scollect/` of the working directory was used instead.
    public let preferred: String?

    public enum Reason: String, Sendable {
        case environment = "SCOLLECT_STATE_DIR"
        case workingDirectory = "an existing .scollect/ in the working directory"
        case system = "the system location (/usr/bin binary run as root)"
        case xdg = "XDG_STATE_HOME"
        case home = "the home folder"
    }

    public static let systemPath = "/var/lib/scollect-etl"

    public static func resolve(env: [String: String], workingDirectory: String = FileManager.default.currentDirectoryPath,
                               executable: String = StateDirectory.executablePath, isRoot: Bool = geteuid() == 0,
                               home: String? = nil) -> StateDirectory {
        // $HOME as XDG says (Foundation's home folder is the account's, whatever HOME says).
        let home = home ?? value(env, "HOME") ?? NSHomeDirectory()
        if let path = value(env, "SCOLLECT_STATE_DIR") { return StateDirectory(path: path, reason: .environment, preferred: nil) }
        let rules = byRules(env: env, executable: executable, isRoot: isRoot, home: home)
        let legacy = URL(fileURLWithPath: workingDirectory).appendingPathComponent(".scollect").path
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: legacy, isDirectory: &isFolder), isFolder.boolValue, legacy != rules.path {
            return StateDirectory(path: legacy, reason: .workingDirectory, preferred: rules.path)
        }
        return rules
    }

    static func byRules(env: [String: String], executable: String, isRoot: Bool, home: String) -> StateDirectory {
        if isRoot && URL(fileURLWithPath: executable).deletingLastPathComponent().standardized.path == "/usr/bin" {
            return StateDirectory(path: systemPath, reason: .system, preferred: nil)
        }
        // XDG: a relative value is invalid and ignored.
        if let xdg = value(env, "XDG_STATE_HOME"), xdg.hasPrefix("/") {
            return StateDirectory(path: xdg + "/scollect-etl", reason: .xdg, preferred: nil)
        }
        return StateDirectory(path: home + "/.local/state/scollect-etl", reason: .home, preferred: nil)
    }

    /// For the working directory's `.scollect/`: where state lives now, and how to move it.
    public var notice: String? {
        guard let preferred else { return nil }
        return "state (journals, sandbox database, locks) found in \(path), where versions before 0.2.0 kept it; "
            + "it is used as it is. State now lives in \(preferred): move it there (mkdir -p \(URL(fileURLWithPath: preferred).deletingLastPathComponent().path) && mv \(path) \(preferred)) or set SCOLLECT_STATE_DIR"
    }

    /// The state of this process, decided once from its environment.
    public static let current = StateDirectory.resolve(env: ProcessInfo.processInfo.environment)

    public var journals: String { path + "/journals" }
    public var sandboxDatabase: String { path + "/sandbox.sqlite" }
    public var locks: String { path + "/locks" }
    public var spool: String { path + "/spool" }

    /// The running binary, symlinks resolved.
    public static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
    }

    private static func value(_ env: [String: String], _ key: String) -> String? {
        env[key].flatMap { $0.isEmpty ? nil : $0 }
    }
}
