import Foundation

/// An exclusive lock per pipeline (`flock` on `<reports>/.<name>.lock`), so that two runs of the
/// same pipeline never overlap. The kernel drops it when the process dies: a killed run never
/// leaves a stale lock behind.
final class RunLock {
    private var descriptor: Int32

    init(folder: String, pipeline: String) throws {
        try PrivateFile.createDirectory(folder)
        let path = folder + "/.\(pipeline).lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw JournalError("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw JournalError("another run of pipeline \(pipeline) is in progress\(holder.isEmpty ? "" : " (\(holder))"); this one was not started (lock \(path))")
        }
        let holder = "pid \(getpid()) since \(AuditReport.timestamp(Date()))\n"
        _ = ftruncate(descriptor, 0)
        _ = holder.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
