import Foundation
import ScollectETL
import ScollectTestSupport
import Testing

/// Where state lives: SCOLLECT_STATE_DIR; a working directory's .scollect/ (0.1.0's place);
/// /var/lib for a /usr/bin binary run as root; XDG_STATE_HOME; ~/.local/state.
struct StateDirectoryTests {
    let home = "/home/ops"

    func resolve(_ env: [String: String], in folder: String = "/nonexistent-\(UUID().uuidString)", executable: String = "/opt/scollect/bin/scollect-etl",
                 root: Bool = false) -> StateDirectory {
        StateDirectory.resolve(env: env, workingDirectory: folder, executable: executable, isRoot: root, home: home)
    }

    @Test func theRulesInTheirOrder() {
        #expect(resolve([:]).path == "/home/ops/.local/state/scollect-etl")
        #expect(resolve(["XDG_STATE_HOME": "/srv/xdg"]).path == "/srv/xdg/scollect-etl")
        #expect(resolve(["XDG_STATE_HOME": "relative/xdg"]).path == "/home/ops/.local/state/scollect-etl", "a relative XDG_STATE_HOME is invalid")
        #expect(resolve(["XDG_STATE_HOME": "/srv/xdg", "SCOLLECT_STATE_DIR": "/srv/state"]).path == "/srv/state")
        #expect(resolve([:], executable: "/usr/bin/scollect-etl", root: true).path == "/var/lib/scollect-etl")
        #expect(resolve(["XDG_STATE_HOME": "/srv/xdg"], executable: "/usr/bin/scollect-etl", root: true).path == "/var/lib/scollect-etl")
        #expect(resolve([:], executable: "/usr/bin/scollect-etl", root: false).path == "/home/ops/.local/state/scollect-etl")
        #expect(resolve([:], executable: "/usr/local/bin/scollect-etl", root: true).path == "/home/ops/.local/state/scollect-etl")
        #expect(resolve(["SCOLLECT_STATE_DIR": "/srv/state"], executable: "/usr/bin/scollect-etl", root: true).path == "/srv/state")
        #expect(resolve(["SCOLLECT_STATE_DIR": "/srv/state"]).sandboxDatabase == "/srv/state/sandbox.sqlite")
        #expect(resolve(["SCOLLECT_STATE_DIR": "/srv/state"]).journals == "/srv/state/journals")
    }

    @Test func aWorkingDirectorysDotScollectIsStillFoundWithANotice() throws {
        let folder = try makeTemporaryDirectory("state")
        #expect(resolve(["XDG_STATE_HOME": "/srv/xdg"], in: folder).notice == nil)
        try FileManager.default.createDirectory(atPath: folder + "/.scollect", withIntermediateDirectories: true)
        let found = resolve(["XDG_STATE_HOME": "/srv/xdg"], in: folder)
        #expect(found.path == folder + "/.scollect" && found.reason == .workingDirectory)
        #expect(found.notice?.contains("/srv/xdg/scollect-etl") == true)
        // An explicit choice wins over it.
        #expect(resolve(["SCOLLECT_STATE_DIR": "/srv/state"], in: folder).path == "/srv/state")
    }
}
