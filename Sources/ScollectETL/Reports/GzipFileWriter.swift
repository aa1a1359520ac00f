import CZlib
import Foundation

/// Writes a gzip file through zlib's deflate, created with mode 0600 from the first byte:
/// reports mirror sensitive input and must never be world-readable, even briefly.
public final class GzipFileWriter {
    public let path: String
    private let fd: Int32
    private var stream = z_stream()
    private var pending: [UInt8] = []
    private var output = [UInt8](repeating: 0, count: 64 * 1024)
    private var finished = false

    public init(path: String, level: Int32 = 6) throws {
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ReportError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        // An existing file keeps its old mode through O_TRUNC: set it explicitly.
        fchmod(fd, 0o600)
        self.fd = fd
        // windowBits 15 + 16 = a gzip wrapper instead of zlib's.
        let status = deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { close(fd); throw ReportError.cannotCreate(path: path, reason: "zlib deflateInit2 failed (\(status))") }
        pending.reserveCapacity(64 * 1024)
    }

    deinit {
        if !finished { try? finish() }
    }

    public func write(_ text: String) throws {
        pending.append(contentsOf: text.utf8)
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
        deflateEnd(&stream)
        fsync(fd)
        close(fd)
    }

    private func deflatePending(flush: Int32) throws {
        try pending.withUnsafeMutableBufferPointer { input in
            stream.next_in = input.baseAddress
            stream.avail_in = uInt(input.count)
            repeat {
                try output.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let status = deflate(&stream, flush)
                    guard status != Z_STREAM_ERROR else { throw ReportError.writeFailed(path: path, reason: "zlib deflate error") }
                    let produced = out.count - Int(stream.avail_out)
                    var offset = 0
                    while offset < produced {
                        let written = Foundation.write(fd, out.baseAddress! + offset, produced - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw ReportError.writeFailed(path: path, reason: String(cString: strerror(errno)))
                        }
                        offset += written
                    }
                }
            } while stream.avail_out == 0
        }
        pending.removeAll(keepingCapacity: true)
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
