import Crypto
import Foundation

/// Where a run keeps what is neither a report nor the input: its lock and spooled answers. In
/// the state directory when the caller gives one (`RunOptions.stateFolder`, the command line's
/// `StateDirectory`), else in the reports folder.
extension RunOptions {
    /// The lock's folder and name: `<state>/locks/<pipeline>-<digest of the reports folder>`
    /// (two pipelines of one name in two places are two pipelines), else `<reports>/<pipeline>`.
    func lockLocation(reportsFolder: String, pipeline: String) -> (folder: String, name: String) {
        guard let stateFolder else { return (reportsFolder, pipeline) }
        let absolute = URL(fileURLWithPath: reportsFolder).standardized.path
        let digest = SHA256.hash(data: Data(absolute.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return (stateFolder + "/locks", "\(pipeline)-\(digest)")
    }

    /// The folder for a spooled answer (a portfolio listing), created 0700 when needed.
    func spoolFolder(reportsRunFolder: String) -> String {
        guard let stateFolder else { return reportsRunFolder }
        let folder = stateFolder + "/spool"
        try? PrivateFile.createDirectory(folder)
        return folder
    }
}
