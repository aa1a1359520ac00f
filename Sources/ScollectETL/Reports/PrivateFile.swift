import Foundation

/// Files and folders that hold debtors' data (summaries, reports, acknowledgements, exports,
/// archived inputs), private to their owner from the first byte: a file is created 0600 and a
/// folder 0700 by the system call that makes them — never created with the process's umask and
/// `chmod`ed after (another user could open it in between, and keep it open).
public enum PrivateFile {
    /// Replaces `path` with `contents` atomically: a temporary file beside it, created 0600,
    /// written and synced, then renamed over it.
    public static func write(_ contents: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp").path
        let fd = try createPrivateFile(temporary, exclusive: true)
        do {
            var text = contents
            try text.withUTF8 { try writeAll(UnsafeRawBufferPointer($0), to: fd, path: temporary) }
            fsync(fd)
            close(fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ReportError.writeFailed(path: path, reason: reason)
        }
    }

    /// Why a file holding a secret was refused, in words for the operator.
    public struct SecretRefused: Error, CustomStringConvertible {
        public let description: String
    }

    /// The text of a file holding a secret (credentials, a database password), which the
    /// environment variable `variable` names. Refused when it is missing or unreadable, and when
    /// others can read it: a secret is only as secret as its least careful copy.
    public static func readSecret(_ path: String, variable: String) throws(SecretRefused) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw SecretRefused(description: "\(variable) \(path): \(String(cString: strerror(errno)))") }
        guard info.st_mode & 0o077 == 0 else {
            throw SecretRefused(description: "\(variable) \(path) can be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): run chmod 600 \(path)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw SecretRefused(description: "\(variable) \(path) cannot be read") }
        return text
    }

    /// Creates a folder and its missing parents, each with mode 0700. A folder that exists is
    /// left as it is (the operator chose its mode).
    public static func createDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw ReportError.cannotCreate(path: prefix, reason: String(cString: strerror(errno)))
            }
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError.cannotCreate(path: path, reason: "not a folder")
        }
    }
}
