import Foundation

/// The sample pipelines and data an installed package ships in `/usr/share/scollect-etl/`, for
/// `demo` run outside a repository checkout. They are copied into `./scollect-etl-demo/` (once;
/// a later demo reuses the copy, edits included) because a pipeline's reports are written
/// beside it, and `/usr/share` is not the operator's to write in.
enum InstalledSamples {
    static let workFolder = "scollect-etl-demo"
    static let folders = ["Pipelines", "SampleData"]

    /// Where the samples are: `SCOLLECT_SHARE_DIR`, else `share/scollect-etl` beside the
    /// executable's `bin/` (a tarball unpacked under /usr/local or /opt), else
    /// `/usr/share/scollect-etl`. The first that has `pipeline` (e.g. `Pipelines/x.yml`) wins.
    static func shareFolder(containing pipeline: String, env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        var candidates: [String] = []
        if let dir = env["SCOLLECT_SHARE_DIR"], !dir.isEmpty { candidates.append(dir) }
        // The executable's own path (argv[0] is a bare name when found on the PATH).
        if let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? Bundle.main.executablePath {
            candidates.append(URL(fileURLWithPath: executable).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("share/scollect-etl").path)
        }
        candidates.append("/usr/share/scollect-etl")
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/" + pipeline) }
    }

    /// Copies the samples into `./scollect-etl-demo/` unless a copy is there, and returns that
    /// folder's absolute path.
    static func workingCopy(from share: String, log: (String) -> Void) throws -> String {
        let fm = FileManager.default
        let target = URL(fileURLWithPath: workFolder).standardized.path
        for folder in folders where !fm.fileExists(atPath: target + "/" + folder) {
            try copyContents(of: share + "/" + folder, to: target + "/" + folder)
            log("demo: copied \(share)/\(folder) to \(target)/\(folder)")
        }
        return target
    }

    /// Folders and file contents only: `FileManager.copyItem` also copies the owner (root's, in
    /// /usr/share), which an ordinary user may not set.
    static func copyContents(of source: String, to destination: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        for item in try fm.subpathsOfDirectory(atPath: source).sorted() {
            var isFolder: ObjCBool = false
            _ = fm.fileExists(atPath: source + "/" + item, isDirectory: &isFolder)
            if isFolder.boolValue {
                try fm.createDirectory(atPath: destination + "/" + item, withIntermediateDirectories: true)
            } else {
                try Data(contentsOf: URL(fileURLWithPath: source + "/" + item)).write(to: URL(fileURLWithPath: destination + "/" + item))
            }
        }
    }
}
