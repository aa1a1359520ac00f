import CZlib
import Foundation

/// The bytes of an export file, plain or gzip-compressed (zlib deflate with a gzip wrapper),
/// written through a 64 KiB buffer. Created with mode 0600: an export holds debtors' data.
/// Writers call `finish()`; `ExportRunner` writes to a `.partial` file and renames it only
/// when the export is complete.
public final class ExportFileOutput {
    public let path: String
    public let gzip: Bool
    private let fd: Int32
    private var stream = z_stream()
    private var pending: [UInt8] = []
    private var output = [UInt8](repeating: 0, count: 64 * 1024)
    private var finished = false
    /// Uncompressed bytes written so far.
    public private(set) var offset: UInt64 = 0

    public init(path: String, gzip: Bool) throws {
        self.path = path
        self.gzip = gzip
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ReportError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
        fchmod(fd, 0o600)
        self.fd = fd
        if gzip {
            let status = deflateInit2_(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else { close(fd); throw ReportError.cannotCreate(path: path, reason: "zlib deflateInit2 failed (\(status))") }
        }
        pending.reserveCapacity(64 * 1024)
    }

    deinit {
        if !finished {
            if gzip { deflateEnd(&stream) }
            close(fd)
        }
    }

    public func write(_ text: String) throws {
        var text = text
        text.withUTF8 { pending.append(contentsOf: $0) }
        offset += UInt64(text.utf8.count)
        if pending.count >= 64 * 1024 { try drain(final: false) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        pending.append(contentsOf: bytes)
        offset += UInt64(bytes.count)
        if pending.count >= 64 * 1024 { try drain(final: false) }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func finish() throws {
        guard !finished else { return }
        finished = true
        defer { close(fd) }
        try drain(final: true)
        if gzip { deflateEnd(&stream) }
        guard fsync(fd) == 0 || errno == EINVAL else { throw ReportError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
    }

    private func drain(final: Bool) throws {
        guard gzip else {
            try pending.withUnsafeBytes { try writeAll($0.baseAddress, $0.count) }
            pending.removeAll(keepingCapacity: true)
            return
        }
        let flush = final ? Z_FINISH : Z_NO_FLUSH
        try pending.withUnsafeMutableBufferPointer { input in
            stream.next_in = input.baseAddress
            stream.avail_in = uInt(input.count)
            repeat {
                let produced: Int = try output.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    guard deflate(&stream, flush) != Z_STREAM_ERROR else { throw ReportError.writeFailed(path: path, reason: "zlib deflate error") }
                    return out.count - Int(stream.avail_out)
                }
                try output.withUnsafeBytes { try writeAll($0.baseAddress, produced) }
            } while stream.avail_out == 0
        }
        pending.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ base: UnsafeRawPointer?, _ count: Int) throws {
        guard let base else { return }
        var done = 0
        while done < count {
            let n = Foundation.write(fd, base + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw ReportError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            done += n
        }
    }
}
