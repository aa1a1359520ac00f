import CZlib
import Foundation

/// Writes a gzip file through zlib's deflate, created with mode 0600 from the first byte:
/// reports mirror sensitive input and must never be world-readable, even briefly.
public final class GzipFileWriter {
    public let path: String
    private let fd: Int32
    private let deflater: Deflater
    private var pending: [UInt8] = []
    private var finished = false

    public init(path: String, level: Int32 = 6) throws {
        self.path = path
        let fd = try createPrivateFile(path)
        self.fd = fd
        do {
            deflater = try Deflater(.gzip, level: level, path: path)
        } catch {
            close(fd)
            throw error
        }
        pending.reserveCapacity(64 * 1024)
    }

    deinit {
        if !finished { try? finish() }
    }

    public func write(_ text: String) throws {
        pending.append(contentsOf: text.utf8)
        if pending.count >= 64 * 1024 { try deflatePending(flush: Z_NO_FLUSH) }
    }

    public func write(_ bytes: [UInt8]) throws {
        pending.append(contentsOf: bytes)
        if pending.count >= 64 * 1024 { try deflatePending(flush: Z_NO_FLUSH) }
    }

    /// Flushes a complete deflate block so what was written so far can be read back even if
    /// the process dies (a partial report beats none).
    public func flush() throws {
        try deflatePending(flush: Z_SYNC_FLUSH)
    }

    public func finish() throws {
        guard !finished else { return }
        finished = true
        try deflatePending(flush: Z_FINISH)
        deflater.end()
        fsync(fd)
        close(fd)
    }

    private func deflatePending(flush: Int32) throws {
        try deflater.deflate(&pending, flush: flush) { try writeAll($0, to: fd, path: path) }
    }
}

public enum ReportError: Error, CustomStringConvertible {
    case cannotCreate(path: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotCreate(path, reason): return "\(path): cannot create report: \(reason)"
        case let .writeFailed(path, reason): return "\(path): cannot write report: \(reason)"
        }
    }
}
