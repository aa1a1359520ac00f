import Foundation
import PackagePlugin

/// Before every build of the command line: `GitRevision.swift` with the short commit of the
/// package's own checkout, or nil when the package is not one (a tarball, an export). A folder
/// that is only inside some other repository does not count. The file is rewritten only when
/// the revision changed, so an unchanged checkout recompiles nothing.
@main
struct GitRevision: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("GitRevision")
        let script = #"""
        root="$1"; out="$2"
        mkdir -p "$out"
        revision=""
        if top=$(git -C "$root" rev-parse --show-toplevel 2>/dev/null) \
           && [ "$(cd "$top" && pwd -P)" = "$(cd "$root" && pwd -P)" ]; then
          revision=$(git -C "$root" rev-parse --short=7 HEAD 2>/dev/null)
        fi
        if [ -n "$revision" ]; then value="\"$revision\""; else value="nil"; fi
        printf '// Generated at build time by Plugins/GitRevision: do not edit.\nlet gitRevision: String? = %s\n' "$value" > "$out/GitRevision.swift.new"
        if cmp -s "$out/GitRevision.swift.new" "$out/GitRevision.swift"; then
          rm -f "$out/GitRevision.swift.new"
        else
          mv "$out/GitRevision.swift.new" "$out/GitRevision.swift"
        fi
        """#
        return [.prebuildCommand(displayName: "Git revision of the checkout",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", script, "sh", context.package.directoryURL.path, output.path],
                                 outputFilesDirectory: output)]
    }
}
