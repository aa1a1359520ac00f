import Foundation
import PackagePlugin

/// Before every build of the command line: `GitRevision.swift` with the short commit of the
/// package's own checkout, or nil outside one (`Scripts/git-revision.sh`, tested by
/// `ExitCodeTests`).
@main
struct GitRevision: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("GitRevision")
        return [.prebuildCommand(displayName: "Git revision of the checkout",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: [root.appendingPathComponent("Scripts/git-revision.sh").path, root.path, output.path],
                                 outputFilesDirectory: output)]
    }
}
