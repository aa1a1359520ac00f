import Crypto
import Foundation
import GRDB

/// A target is a tenant: its base URL and its apikey. The real API is one host for every
/// agency, so a journal keyed by host alone would be shared by two agencies run from one
/// machine (their file numbers collide; a reference booked for one would be a duplicate for
/// the other). Journals are named by host and a digest of the apikey — never the apikey itself.
public enum TenantJournal {
    /// The first 16 hex digits of the SHA-256 of the apikey.
    public static func tenantID(apikey: String) -> String {
        SHA256.hash(data: Data(apikey.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// `.scollect/journals/<host_port_path>-<tenant>.sqlite`.
    public static func path(forURL url: String, apikey: String) -> String {
        ".scollect/journals/\(hostName(url))-\(tenantID(apikey: apikey)).sqlite"
    }

    /// The name an earlier version (0.1.0) gave the target's journal: host, port and path only.
    public static func legacyPath(forURL url: String) -> String {
        ".scollect/journals/\(hostName(url)).sqlite"
    }

    static func hostName(_ url: String) -> String {
        let components = URLComponents(string: url)
        let name = [components?.host, components?.port.map(String.init), components?.path]
            .compactMap { $0 }.joined(separator: "_")
            .map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }
        return String(name).trimmingCharacters(in: CharacterSet(charactersIn: "_"))
    }

    /// The first time a tenant's journal is asked for where an earlier version kept one per
    /// host, that journal is copied (SQLite's online backup, WAL included) to the tenant's
    /// name: its ledger (what was booked) goes on. The old file is left where it is, for any
    /// other tenant of the host that ran before the upgrade. Returns a notice when it copied.
    @discardableResult
    public static func adoptLegacyJournal(from legacy: String, to path: String) throws -> String? {
        let manager = FileManager.default
        guard !manager.fileExists(atPath: path), manager.fileExists(atPath: legacy) else { return nil }
        try manager.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true,
                                    attributes: [.posixPermissions: 0o700])
        let partial = path + ".adopting"
        try? manager.removeItem(atPath: partial)
        _ = manager.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600])
        do {
            let source = try DatabaseQueue(path: legacy)
            let destination = try DatabaseQueue(path: partial)
            try source.backup(to: destination)
            try destination.close()
            try source.close()
            try manager.moveItem(atPath: partial, toPath: path)
        } catch {
            try? manager.removeItem(atPath: partial)
            throw JournalError("cannot copy the run journal \(legacy) to \(path): \(error)")
        }
        return "the run journal \(legacy) (one per host, before 0.2.0) was copied to this tenant's journal \(path)"
    }
}
